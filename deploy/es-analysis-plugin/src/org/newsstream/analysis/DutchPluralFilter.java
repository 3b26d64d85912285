package org.newsstream.analysis;

import java.io.IOException;
import org.apache.lucene.analysis.TokenFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.analysis.tokenattributes.KeywordAttribute;

/**
 * Before the Snowball stemmer: Dutch plurals it leaves alone.
 *
 * <p>Snowball removes a final "s" only after a consonant, so the plural of a
 * word ending in "e" ("stroompannes", "procedures", "drones") keeps its "s"
 * while the singular loses its "e": the two never meet. This filter turns
 * "-es" into "-e" where that is a plural, and drops the "'s" of "auto's".
 * It leaves alone "-es" words that are singular: after a vowel ("Chinees"),
 * after "c" ("proces", "succes") and after a consonant followed by "r"
 * ("congres", "adres"), and short words ("les", "fles").
 */
public final class DutchPluralFilter extends TokenFilter {
    private final CharTermAttribute term = addAttribute(CharTermAttribute.class);
    private final KeywordAttribute keyword = addAttribute(KeywordAttribute.class);

    public DutchPluralFilter(TokenStream input) {
        super(input);
    }

    @Override
    public boolean incrementToken() throws IOException {
        if (!input.incrementToken()) {
            return false;
        }
        if (!keyword.isKeyword()) {
            term.setLength(singularLength(term.buffer(), term.length()));
        }
        return true;
    }

    /** The length of the term once its plural ending is gone (unchanged if it has none). */
    static int singularLength(char[] s, int len) {
        if (len > 3 && s[len - 1] == 's' && (s[len - 2] == '\'' || s[len - 2] == '\u2019')) {
            return len - 2;
        }
        if (len < 6 || s[len - 1] != 's' || s[len - 2] != 'e') {
            return len;
        }
        char before = s[len - 3];
        if (isVowel(before) || before == 'c') {
            return len;
        }
        if (before == 'r' && !isVowel(s[len - 4])) {
            return len;
        }
        return len - 1;
    }

    static boolean isVowel(char c) {
        return "aeiouyèéêëïíóöüú".indexOf(c) >= 0;
    }
}
