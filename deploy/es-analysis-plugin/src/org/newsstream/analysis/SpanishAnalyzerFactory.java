package org.newsstream.analysis;

import org.apache.lucene.analysis.Analyzer;
import org.elasticsearch.plugin.NamedComponent;
import org.elasticsearch.plugin.analysis.AnalyzerFactory;

/** Spanish text: Lucene's SpanishAnalyzer. */
@NamedComponent("newsstream_spanish")
public final class SpanishAnalyzerFactory implements AnalyzerFactory {
    @Override
    public Analyzer create() {
        return new org.apache.lucene.analysis.es.SpanishAnalyzer();
    }
}
