package org.newsstream.analysis;

import java.io.IOException;
import org.apache.lucene.analysis.TokenFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.analysis.tokenattributes.KeywordAttribute;

/**
 * After the Snowball stemmer: make the stems of singular and plural agree.
 *
 * <p>Snowball's Dutch stemmer keeps the doubled consonant of a plural
 * ("aanvallen" -> "aanvall", "processen" -> "process") while the singular has
 * one ("aanval", "proces"), and keeps the voiced consonant of plurals such as
 * "ziekenhuizen" -> "ziekenhuiz" (singular "ziekenhuis") and "brieven" ->
 * "briev" ("brief"). A final doubled consonant becomes single, a final "z"
 * becomes "s" and a final "v" becomes "f", on both sides of the search.
 */
public final class DutchStemEndingFilter extends TokenFilter {
    private final CharTermAttribute term = addAttribute(CharTermAttribute.class);
    private final KeywordAttribute keyword = addAttribute(KeywordAttribute.class);

    public DutchStemEndingFilter(TokenStream input) {
        super(input);
    }

    @Override
    public boolean incrementToken() throws IOException {
        if (!input.incrementToken()) {
            return false;
        }
        if (!keyword.isKeyword()) {
            term.setLength(normalise(term.buffer(), term.length()));
        }
        return true;
    }

    /** Normalises the end of the stem in place; returns the new length. */
    static int normalise(char[] s, int len) {
        if (len < 4) {
            return len;
        }
        char last = s[len - 1];
        if (last == s[len - 2] && !DutchPluralFilter.isVowel(last) && Character.isLetter(last)) {
            return len - 1;
        }
        if (last == 'z') {
            s[len - 1] = 's';
        } else if (last == 'v') {
            s[len - 1] = 'f';
        }
        return len;
    }
}
