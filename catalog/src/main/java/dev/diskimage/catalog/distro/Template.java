package dev.diskimage.catalog.distro;

import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code {name}} placeholders of a provider's paths and file-name patterns
 * ({@code {version}}, {@code {build}}, {@code {arch}}, {@code {codename}}, {@code {file}}).
 * A path template becomes a URL path with each placeholder replaced by a checked value; a
 * pattern template becomes a regular expression whose placeholders are named groups (the
 * first occurrence) and back-references (every later one, so {@code {version}} twice must be
 * the same version twice).
 */
final class Template {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([a-z]+)}");

    private Template() {
    }

    /**
     * Fills a path template.
     *
     * @param template e.g. {@code releases/{version}/Cloud/{arch}/images/}
     * @param values a value for every placeholder used; each must be a safe single segment
     * @return the filled path
     * @throws IllegalArgumentException if a value is missing or not a plain name
     */
    static String expand(String template, Map<String, String> values) {
        Matcher m = PLACEHOLDER.matcher(template);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = values.get(m.group(1));
            if (value == null) {
                throw new IllegalArgumentException("no value for {" + m.group(1) + "} in '" + template + "'");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(EntryName.require(value, m.group(1))));
        }
        m.appendTail(out);
        return out.toString();
    }

    /**
     * Compiles a pattern template that must match a whole listing entry.
     *
     * @param template a regular expression with placeholders, e.g.
     *     {@code Fedora-Cloud-Base-Generic-{version}-{build}\.{arch}\.qcow2}
     * @param regexes the regular expression each placeholder stands for
     * @return the compiled pattern, with a named group per placeholder
     * @throws IllegalArgumentException if a placeholder has no regular expression
     */
    static Pattern pattern(String template, Map<String, String> regexes) {
        Matcher m = PLACEHOLDER.matcher(template);
        StringBuilder out = new StringBuilder();
        Set<String> seen = new HashSet<>();
        while (m.find()) {
            String name = m.group(1);
            String regex = regexes.get(name);
            if (regex == null) {
                throw new IllegalArgumentException("no pattern for {" + name + "} in '" + template + "'");
            }
            String replacement = seen.add(name) ? "(?<" + name + ">" + regex + ")" : "\\k<" + name + ">";
            m.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(out);
        return Pattern.compile(out.toString());
    }

    /**
     * The placeholders a template uses.
     *
     * @param template a path or pattern template
     * @return the placeholder names, e.g. {@code version}, {@code arch}
     */
    static Set<String> placeholders(String template) {
        Set<String> names = new LinkedHashSet<>();
        Matcher m = PLACEHOLDER.matcher(template);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    /** The value a named group matched, or empty when the pattern has no such group. */
    static String group(Matcher matcher, String name) {
        try {
            String value = matcher.group(name);
            return value == null ? "" : value;
        } catch (IllegalArgumentException e) {
            return "";
        }
    }
}
