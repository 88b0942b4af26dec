package dev.diskimage.catalog.distro;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The entries of an HTTP directory listing (Apache {@code mod_autoindex}, nginx
 * {@code autoindex}, and the hand-made pages some mirrors serve): the names of the files and
 * directories directly below the listed URL, taken from the {@code href} of every {@code <a>}
 * element. A directory's name keeps its trailing {@code /}.
 *
 * <p>The page is hostile text: the scanner tolerates any markup (upper-case tags, single,
 * double or no quotes, attributes over several lines, entities, comments), ignores links that
 * leave the directory (parent, absolute elsewhere, other hosts, query-only sort links such as
 * Apache's {@code ?C=N;O=D}), and keeps only names made of the characters a mirror's file names
 * use, so a name can never carry {@code ..}, a slash or a control character into a URL or a path.
 */
final class DirectoryListing {
    /** Listings larger than this are refused: real ones are a few hundred KiB at most. */
    static final int MAX_BYTES = 8 << 20;
    /** At most this many entries are kept. */
    static final int MAX_ENTRIES = 100_000;

    private DirectoryListing() {
    }

    /**
     * The entries of a listing page, in page order, each once.
     *
     * @param listingUrl the URL the page was fetched from (hrefs are resolved against it); ends
     *     with {@code /}
     * @param html the page
     * @return names of files ({@code a.qcow2}) and directories ({@code 40/}) directly below
     */
    static List<String> entries(URI listingUrl, String html) {
        Set<String> names = new LinkedHashSet<>();
        int at = 0;
        int length = html.length();
        while (at < length && names.size() < MAX_ENTRIES) {
            int lt = html.indexOf('<', at);
            if (lt < 0) {
                break;
            }
            if (html.startsWith("<!--", lt)) {
                int end = html.indexOf("-->", lt + 4);
                at = end < 0 ? length : end + 3;
                continue;
            }
            int nameEnd = lt + 1;
            while (nameEnd < length && isTagNameChar(html.charAt(nameEnd))) {
                nameEnd++;
            }
            String tag = html.substring(lt + 1, nameEnd).toLowerCase(Locale.ROOT);
            int close = tagEnd(html, nameEnd);
            if (close < 0) {
                // a tag cut off by the end of the page is not a link
                break;
            }
            if (tag.equals("a")) {
                String href = attribute(html, nameEnd, close, "href");
                if (href != null) {
                    String name = childName(listingUrl, decodeEntities(href.strip()));
                    if (name != null) {
                        names.add(name);
                    }
                }
            }
            at = Math.max(close, lt + 1);
        }
        return new ArrayList<>(names);
    }

    private static boolean isTagNameChar(char c) {
        return Character.isLetterOrDigit(c) || c == '-' || c == ':';
    }

    /** The index just after the tag's closing {@code >}, skipping quoted attribute values; -1 if none. */
    private static int tagEnd(String html, int from) {
        char quote = 0;
        for (int i = from; i < html.length(); i++) {
            char c = html.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                }
            } else if (c == '"' || c == '\'') {
                quote = c;
            } else if (c == '>') {
                return i + 1;
            }
        }
        return -1;
    }

    /** One attribute's raw value between {@code from} and {@code end}, or null. */
    private static String attribute(String html, int from, int end, String wanted) {
        int i = from;
        while (i < end) {
            while (i < end && (Character.isWhitespace(html.charAt(i)) || html.charAt(i) == '/')) {
                i++;
            }
            int nameStart = i;
            while (i < end && !Character.isWhitespace(html.charAt(i)) && "=>/".indexOf(html.charAt(i)) < 0) {
                i++;
            }
            String name = html.substring(nameStart, i).toLowerCase(Locale.ROOT);
            while (i < end && Character.isWhitespace(html.charAt(i))) {
                i++;
            }
            String value = "";
            if (i < end && html.charAt(i) == '=') {
                i++;
                while (i < end && Character.isWhitespace(html.charAt(i))) {
                    i++;
                }
                if (i < end && (html.charAt(i) == '"' || html.charAt(i) == '\'')) {
                    char quote = html.charAt(i);
                    int valueEnd = html.indexOf(quote, i + 1);
                    valueEnd = valueEnd < 0 || valueEnd > end ? end : valueEnd;
                    value = html.substring(i + 1, valueEnd);
                    i = valueEnd + 1;
                } else {
                    int valueStart = i;
                    while (i < end && !Character.isWhitespace(html.charAt(i)) && html.charAt(i) != '>') {
                        i++;
                    }
                    value = html.substring(valueStart, i);
                }
            }
            if (name.isEmpty()) {
                if (i >= end || html.charAt(i) == '>') {
                    return null;
                }
                i++;
                continue;
            }
            if (name.equals(wanted)) {
                return value;
            }
        }
        return null;
    }

    /** HTML character references that hrefs use: the named five and numeric ones. */
    static String decodeEntities(String text) {
        if (text.indexOf('&') < 0) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            int semi = c == '&' ? text.indexOf(';', i) : -1;
            if (semi < 0 || semi - i > 10) {
                out.append(c);
                i++;
                continue;
            }
            String entity = text.substring(i + 1, semi);
            String decoded = switch (entity.toLowerCase(Locale.ROOT)) {
                case "amp" -> "&";
                case "lt" -> "<";
                case "gt" -> ">";
                case "quot" -> "\"";
                case "apos" -> "'";
                default -> numeric(entity);
            };
            if (decoded == null) {
                out.append(c);
                i++;
            } else {
                out.append(decoded);
                i = semi + 1;
            }
        }
        return out.toString();
    }

    private static String numeric(String entity) {
        if (!entity.startsWith("#") || entity.length() < 2) {
            return null;
        }
        try {
            boolean hex = entity.charAt(1) == 'x' || entity.charAt(1) == 'X';
            int code = Integer.parseInt(entity.substring(hex ? 2 : 1), hex ? 16 : 10);
            return Character.isValidCodePoint(code) ? new String(Character.toChars(code)) : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * The name of the entry an href points to when it is directly below the listing, else null.
     */
    static String childName(URI listingUrl, String href) {
        if (href.isEmpty() || href.startsWith("?") || href.startsWith("#")) {
            return null;
        }
        URI target;
        try {
            target = listingUrl.resolve(new URI(encodeLoosely(href)));
        } catch (URISyntaxException | IllegalArgumentException e) {
            return null;
        }
        if (target.getRawQuery() != null || !sameOrigin(listingUrl, target)) {
            return null;
        }
        String base = listingUrl.getRawPath();
        String path = target.getRawPath();
        if (base == null || path == null || !path.startsWith(base) || path.length() == base.length()) {
            return null;
        }
        String rest = path.substring(base.length());
        boolean directory = rest.endsWith("/");
        String segment = directory ? rest.substring(0, rest.length() - 1) : rest;
        if (segment.isEmpty() || segment.contains("/")) {
            return null;
        }
        String name;
        try {
            name = URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return null;
        }
        if (!EntryName.isSafe(name)) {
            return null;
        }
        return directory ? name + "/" : name;
    }

    private static boolean sameOrigin(URI listing, URI target) {
        return eq(listing.getScheme(), target.getScheme()) && eq(listing.getRawAuthority(), target.getRawAuthority());
    }

    private static boolean eq(String a, String b) {
        return a == null ? b == null : a.equalsIgnoreCase(b);
    }

    /** Percent-encodes what a lax page leaves raw in an href (spaces, non-ASCII), keeping {@code %XX}. */
    private static String encodeLoosely(String href) {
        StringBuilder out = new StringBuilder(href.length());
        for (byte b : href.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c > 0x20 && c < 0x7f && "\"<>\\^`{|}".indexOf(c) < 0) {
                out.append((char) c);
            } else {
                out.append('%').append(String.format(Locale.ROOT, "%02X", c));
            }
        }
        return out.toString();
    }
}
