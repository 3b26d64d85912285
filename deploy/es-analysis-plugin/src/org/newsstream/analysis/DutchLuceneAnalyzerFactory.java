package org.newsstream.analysis;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.nl.DutchAnalyzer;
import org.elasticsearch.plugin.NamedComponent;
import org.elasticsearch.plugin.analysis.AnalyzerFactory;

/**
 * Lucene's DutchAnalyzer unchanged (what the full distribution calls "dutch"):
 * not mapped by the service, kept to measure what {@link DutchNewsAnalyzer} adds.
 */
@NamedComponent("newsstream_dutch_lucene")
public final class DutchLuceneAnalyzerFactory implements AnalyzerFactory {
    @Override
    public Analyzer create() {
        return new DutchAnalyzer();
    }
}
