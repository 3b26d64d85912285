package org.newsstream.analysis;

import org.apache.lucene.analysis.Analyzer;
import org.elasticsearch.plugin.NamedComponent;
import org.elasticsearch.plugin.analysis.AnalyzerFactory;

/** Danish text: Lucene's DanishAnalyzer. */
@NamedComponent("newsstream_danish")
public final class DanishAnalyzerFactory implements AnalyzerFactory {
    @Override
    public Analyzer create() {
        return new org.apache.lucene.analysis.da.DanishAnalyzer();
    }
}
