package org.newsstream.analysis;

import org.apache.lucene.analysis.Analyzer;
import org.elasticsearch.plugin.NamedComponent;
import org.elasticsearch.plugin.analysis.AnalyzerFactory;

/** Portuguese text: Lucene's PortugueseAnalyzer. */
@NamedComponent("newsstream_portuguese")
public final class PortugueseAnalyzerFactory implements AnalyzerFactory {
    @Override
    public Analyzer create() {
        return new org.apache.lucene.analysis.pt.PortugueseAnalyzer();
    }
}
