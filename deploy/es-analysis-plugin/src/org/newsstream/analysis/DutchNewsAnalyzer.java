package org.newsstream.analysis;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.LowerCaseFilter;
import org.apache.lucene.analysis.StopFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.miscellaneous.StemmerOverrideFilter;
import org.apache.lucene.analysis.nl.DutchAnalyzer;
import org.apache.lucene.analysis.snowball.SnowballFilter;
import org.apache.lucene.analysis.standard.StandardTokenizer;
import org.tartarus.snowball.ext.DutchStemmer;

/**
 * Lucene's DutchAnalyzer (stop words, the same few irregular plurals, Snowball)
 * with the plural and stem-ending rules of this plugin around the stemmer;
 * the index-time variant also adds the listed parts of compounds.
 */
public final class DutchNewsAnalyzer extends Analyzer {
    private static final StemmerOverrideFilter.StemmerOverrideMap IRREGULAR = irregular();
    private static final CharArraySet PARTS = CompoundParts.load("dutch-compound-parts.txt");

    private final boolean decompound;

    public DutchNewsAnalyzer(boolean decompound) {
        this.decompound = decompound;
    }

    private static StemmerOverrideFilter.StemmerOverrideMap irregular() {
        StemmerOverrideFilter.Builder builder = new StemmerOverrideFilter.Builder(false);
        builder.add("fiets", "fiets");
        builder.add("bromfiets", "bromfiets");
        builder.add("ei", "eier");
        builder.add("kind", "kinder");
        try {
            return builder.build();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    protected TokenStreamComponents createComponents(String fieldName) {
        Tokenizer source = new StandardTokenizer();
        CharArraySet stopWords = DutchAnalyzer.getDefaultStopSet();
        TokenStream result = new LowerCaseFilter(source);
        result = new StopFilter(result, stopWords);
        if (decompound) {
            result = CompoundParts.split(result, PARTS);
        }
        result = new DutchPluralFilter(result);
        result = new StemmerOverrideFilter(result, IRREGULAR);
        result = new SnowballFilter(result, new DutchStemmer());
        result = new DutchStemEndingFilter(result);
        return new TokenStreamComponents(source, result);
    }

    @Override
    protected TokenStream normalize(String fieldName, TokenStream in) {
        return new LowerCaseFilter(in);
    }
}
