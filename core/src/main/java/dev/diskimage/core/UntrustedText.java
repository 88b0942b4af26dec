package dev.diskimage.core;

import java.util.Locale;

/**
 * Makes text that came from outside (names read from an image, file names, parser messages)
 * safe to put in a report, a log line or a terminal: control and invisible formatting
 * characters are written as visible escapes, and the length is capped. Every string an
 * inspector reads from an image passes through here before it reaches a report, so that an
 * escape sequence in a backing file name can never drive the operator's terminal.
 *
 * <p>Escaping is idempotent: text that went through once comes out unchanged, so layers may
 * sanitize again without doubling escapes. Backslashes are therefore left as they are.
 */
public final class UntrustedText {
    /** Default cap on a name read from an image, in characters. */
    public static final int MAX_NAME_CHARS = 1024;
    /** The smallest cap accepted: room for some text and the note of what was cut. */
    public static final int MIN_CAP = 64;
    /** Room kept at the end of a capped result for "...(N more characters)". */
    private static final int CUT_NOTE_RESERVE = 40;

    private UntrustedText() {
    }

    /**
     * {@link #sanitize(String, int)} capped at {@link #MAX_NAME_CHARS}.
     *
     * @param text the untrusted text, e.g. a name read from an image; may be null
     * @return the escaped text of at most {@link #MAX_NAME_CHARS} characters; {@code text}
     *     itself when it needs no change; null for null
     */
    public static String sanitize(String text) {
        return sanitize(text, MAX_NAME_CHARS);
    }

    /**
     * Returns {@code text} with every C0/C1 control character, DEL, bidirectional override and
     * other invisible format character replaced by <code>\xNN</code> or <code>&#92;u{NNNN}</code>;
     * when the result would be longer than {@code maxChars}, its end is replaced by a note of how
     * much was cut, so that the result never exceeds {@code maxChars}.
     *
     * @param text the untrusted text; may be null
     * @param maxChars the longest result, in characters; at least {@link #MIN_CAP}
     * @return the escaped, possibly cut text; {@code text} itself when it needs no change; null
     *     for null
     * @throws IllegalArgumentException if {@code maxChars} is below {@link #MIN_CAP}
     */
    public static String sanitize(String text, int maxChars) {
        if (maxChars < MIN_CAP) {
            throw new IllegalArgumentException("maxChars must be at least " + MIN_CAP + ": " + maxChars);
        }
        if (text == null) {
            return null;
        }
        if (isClean(text, maxChars)) {
            return text;
        }
        StringBuilder out = new StringBuilder(Math.min(text.length(), maxChars) + 16);
        int cutLength = 0;
        int cutIndex = 0;
        int index = 0;
        while (index < text.length() && out.length() <= maxChars) {
            if (out.length() <= maxChars - CUT_NOTE_RESERVE) {
                cutLength = out.length();
                cutIndex = index;
            }
            int codePoint = text.codePointAt(index);
            appendEscaped(out, codePoint);
            index += Character.charCount(codePoint);
        }
        if (index == text.length() && out.length() <= maxChars) {
            return out.toString();
        }
        out.setLength(cutLength);
        return out.append("...(").append(text.codePointCount(cutIndex, text.length())).append(" more characters)")
                .toString();
    }

    private static void appendEscaped(StringBuilder out, int codePoint) {
        if (!needsEscape(codePoint)) {
            out.appendCodePoint(codePoint);
        } else if (codePoint <= 0xff) {
            out.append(String.format(Locale.ROOT, "\\x%02x", codePoint));
        } else {
            out.append(String.format(Locale.ROOT, "\\u{%04x}", codePoint));
        }
    }

    private static boolean isClean(String text, int maxChars) {
        if (text.length() > maxChars) {
            return false;
        }
        for (int i = 0; i < text.length(); ) {
            int codePoint = text.codePointAt(i);
            if (needsEscape(codePoint)) {
                return false;
            }
            i += Character.charCount(codePoint);
        }
        return true;
    }

    /**
     * Control characters (C0, DEL, C1), format characters (bidi overrides, zero-width joiners),
     * line and paragraph separators and lone surrogates never reach a terminal as they are.
     */
    private static boolean needsEscape(int codePoint) {
        if (Character.isISOControl(codePoint)) {
            return true;
        }
        int type = Character.getType(codePoint);
        return type == Character.FORMAT || type == Character.LINE_SEPARATOR
                || type == Character.PARAGRAPH_SEPARATOR || type == Character.SURROGATE;
    }
}
