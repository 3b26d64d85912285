package org.newsstream.analysis;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.LowerCaseFilter;
import org.apache.lucene.analysis.StopFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.de.GermanAnalyzer;
import org.apache.lucene.analysis.de.GermanLightStemFilter;
import org.apache.lucene.analysis.de.GermanNormalizationFilter;
import org.apache.lucene.analysis.standard.StandardTokenizer;

/**
 * Lucene's GermanAnalyzer chain (stop words, umlaut normalisation, light
 * stemmer); the index-time variant also adds the listed parts of compounds.
 */
public final class GermanNewsAnalyzer extends Analyzer {
    private static final CharArraySet PARTS = CompoundParts.load("german-compound-parts.txt");

    private final boolean decompound;

    public GermanNewsAnalyzer(boolean decompound) {
        this.decompound = decompound;
    }

    @Override
    protected TokenStreamComponents createComponents(String fieldName) {
        Tokenizer source = new StandardTokenizer();
        TokenStream result = new LowerCaseFilter(source);
        result = new StopFilter(result, GermanAnalyzer.getDefaultStopSet());
        if (decompound) {
            result = CompoundParts.split(result, PARTS);
        }
        result = new GermanNormalizationFilter(result);
        result = new GermanLightStemFilter(result);
        return new TokenStreamComponents(source, result);
    }

    @Override
    protected TokenStream normalize(String fieldName, TokenStream in) {
        return new GermanNormalizationFilter(new LowerCaseFilter(in));
    }
}
