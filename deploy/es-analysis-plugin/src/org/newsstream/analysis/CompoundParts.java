package org.newsstream.analysis;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.WordlistLoader;
import org.apache.lucene.analysis.compound.DictionaryCompoundWordTokenFilter;

/**
 * Splits compounds at index time against a list of parts shipped with the plugin.
 *
 * <p>The compound itself stays; each listed part found inside it (longest
 * match at each position, at least four letters, in words of eight or more)
 * is added at the same position, so a search for the part finds the compound.
 */
final class CompoundParts {
    private static final int MIN_WORD = 8;
    private static final int MIN_PART = 4;
    private static final int MAX_PART = 20;

    private CompoundParts() {}

    static CharArraySet load(String resource) {
        try (InputStream in = CompoundParts.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + resource);
            }
            return CharArraySet.unmodifiableSet(
                WordlistLoader.getWordSet(in, StandardCharsets.UTF_8, "#"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static TokenStream split(TokenStream input, CharArraySet parts) {
        return new DictionaryCompoundWordTokenFilter(input, parts, MIN_WORD, MIN_PART, MAX_PART, true);
    }
}
