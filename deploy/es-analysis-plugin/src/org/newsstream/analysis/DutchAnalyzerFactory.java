package org.newsstream.analysis;

import org.apache.lucene.analysis.Analyzer;
import org.elasticsearch.plugin.NamedComponent;
import org.elasticsearch.plugin.analysis.AnalyzerFactory;

/** Dutch queries and text: {@link DutchNewsAnalyzer}. */
@NamedComponent("newsstream_dutch")
public final class DutchAnalyzerFactory implements AnalyzerFactory {
    @Override
    public Analyzer create() {
        return new DutchNewsAnalyzer(false);
    }
}
