package org.newsstream.analysis;

import org.apache.lucene.analysis.Analyzer;
import org.elasticsearch.plugin.NamedComponent;
import org.elasticsearch.plugin.analysis.AnalyzerFactory;

/** German text at index time: {@link GermanNewsAnalyzer} with the parts of compounds. */
@NamedComponent("newsstream_german_index")
public final class GermanIndexAnalyzerFactory implements AnalyzerFactory {
    @Override
    public Analyzer create() {
        return new GermanNewsAnalyzer(true);
    }
}
