package org.newsstream.analysis;

import org.apache.lucene.analysis.Analyzer;
import org.elasticsearch.plugin.NamedComponent;
import org.elasticsearch.plugin.analysis.AnalyzerFactory;

/** Dutch text at index time: {@link DutchNewsAnalyzer} with the parts of compounds. */
@NamedComponent("newsstream_dutch_index")
public final class DutchIndexAnalyzerFactory implements AnalyzerFactory {
    @Override
    public Analyzer create() {
        return new DutchNewsAnalyzer(true);
    }
}
