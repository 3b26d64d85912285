package org.newsstream.analysis;

import org.apache.lucene.analysis.Analyzer;
import org.elasticsearch.plugin.NamedComponent;
import org.elasticsearch.plugin.analysis.AnalyzerFactory;

/** Italian text: Lucene's ItalianAnalyzer. */
@NamedComponent("newsstream_italian")
public final class ItalianAnalyzerFactory implements AnalyzerFactory {
    @Override
    public Analyzer create() {
        return new org.apache.lucene.analysis.it.ItalianAnalyzer();
    }
}
