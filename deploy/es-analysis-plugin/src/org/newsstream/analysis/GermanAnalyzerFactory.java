package org.newsstream.analysis;

import org.apache.lucene.analysis.Analyzer;
import org.elasticsearch.plugin.NamedComponent;
import org.elasticsearch.plugin.analysis.AnalyzerFactory;

/** German queries and text: {@link GermanNewsAnalyzer}. */
@NamedComponent("newsstream_german")
public final class GermanAnalyzerFactory implements AnalyzerFactory {
    @Override
    public Analyzer create() {
        return new GermanNewsAnalyzer(false);
    }
}
