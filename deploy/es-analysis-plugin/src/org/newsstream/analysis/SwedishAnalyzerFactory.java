package org.newsstream.analysis;

import org.apache.lucene.analysis.Analyzer;
import org.elasticsearch.plugin.NamedComponent;
import org.elasticsearch.plugin.analysis.AnalyzerFactory;

/** Swedish text: Lucene's SwedishAnalyzer. */
@NamedComponent("newsstream_swedish")
public final class SwedishAnalyzerFactory implements AnalyzerFactory {
    @Override
    public Analyzer create() {
        return new org.apache.lucene.analysis.sv.SwedishAnalyzer();
    }
}
