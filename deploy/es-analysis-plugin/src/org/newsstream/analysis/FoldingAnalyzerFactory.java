package org.newsstream.analysis;

import org.apache.lucene.analysis.Analyzer;
import org.elasticsearch.plugin.NamedComponent;
import org.elasticsearch.plugin.analysis.AnalyzerFactory;

/** Text in a language without an analyser of its own: {@link FoldingAnalyzer}. */
@NamedComponent("newsstream_folding")
public final class FoldingAnalyzerFactory implements AnalyzerFactory {
    @Override
    public Analyzer create() {
        return new FoldingAnalyzer();
    }
}
