package dev.diskimage.core;

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

    private UntrustedText() {
    }

    /** {@link #sanitize(String, int)} capped at {@link #MAX_NAME_CHARS}. */
    public static String sanitize(String text) {
        return sanitize(text, MAX_NAME_CHARS);
    }

    /**
     * Returns {@code text} with every C0/C1 control character, DEL, bidirectional override and
     * other invisible format character replaced by <code>\xNN</code> or <code>&#92;u{NNNN}</code>, and
     * everything after {@code maxChars} replaced by a note of how much was cut.
     */
    public static String sanitize(String text, int maxChars) {
        if (maxChars < 1) {
            throw new IllegalArgumentException("maxChars must be positive: " + maxChars);
        }
        if (text == null) {
            return null;
        }
        if (isClean(text, maxChars)) {
            return text;
        }
        StringBuilder out = new StringBuilder(Math.min(text.length(), maxChars) + 16);
        int index = 0;
        while (index < text.length() && out.length() < maxChars) {
            int codePoint = text.codePointAt(index);
            index += Character.charCount(codePoint);
            if (!needsEscape(codePoint)) {
                out.appendCodePoint(codePoint);
            } else if (codePoint <= 0xff) {
                out.append(String.format(java.util.Locale.ROOT, "\\x%02x", codePoint));
            } else {
                out.append(String.format(java.util.Locale.ROOT, "\\u{%04x}", codePoint));
            }
        }
        if (index < text.length()) {
            out.append("...(").append(text.length() - index).append(" more characters)");
        }
        return out.toString();
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
