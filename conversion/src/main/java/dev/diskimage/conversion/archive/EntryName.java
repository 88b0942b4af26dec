package dev.diskimage.conversion.archive;

import dev.diskimage.conversion.archive.ArchiveRefusedException.Reason;
import dev.diskimage.core.UntrustedText;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * An entry name that passed every name rule: a plain relative path whose components stay inside
 * the target. {@code ./} components and a trailing {@code /} (directories) are dropped, so two
 * spellings of one path compare equal; the empty path is the target itself ({@code ./}).
 *
 * @param components the path's components, none of them empty, {@code .} or {@code ..}
 */
record EntryName(List<String> components) {

    /**
     * The deepest nesting accepted. Real archives are a few levels deep; the limit stays well below
     * the 256 levels that core's recursive deletion handles, so a refused extraction can always
     * be removed.
     */
    static final int MAX_DEPTH = 64;

    /** NAME_MAX of Linux file systems: the longest file name, in bytes. */
    static final int MAX_COMPONENT_BYTES = 255;

    /** Tar's path separator; archives written on Windows use it too. */
    private static final char SEPARATOR = '/';
    private static final char BACKSLASH = '\\';
    /** What the UTF-8 decoder puts in place of bytes that are not UTF-8. */
    private static final char REPLACEMENT = '\uFFFD';
    private static final String CURRENT = ".";
    private static final String PARENT = "..";

    EntryName {
        components = List.copyOf(components);
    }

    /** The checked name of {@code raw}, or the reason it is refused. */
    static EntryName check(String raw, Refusal refusal) {
        // A plain name is one the sanitizer leaves alone: no control, formatting or line
        // separator characters, and not longer than UntrustedText.MAX_NAME_CHARS. One rule for
        // what "needs escaping" in the whole project.
        if (raw.isEmpty() || !UntrustedText.sanitize(raw).equals(raw)
                || raw.indexOf(BACKSLASH) >= 0 || raw.indexOf(REPLACEMENT) >= 0) {
            throw refusal.refuse(Reason.NAME_NOT_PLAIN,
                    "the name is empty, longer than " + UntrustedText.MAX_NAME_CHARS
                            + " characters, or has a control character, a backslash or an undecodable byte");
        }
        if (raw.charAt(0) == SEPARATOR) {
            throw refusal.refuse(Reason.ABSOLUTE_PATH, "the name is an absolute path");
        }
        String path = raw.charAt(raw.length() - 1) == SEPARATOR ? raw.substring(0, raw.length() - 1) : raw;
        List<String> components = new ArrayList<>();
        boolean parentReference = false;
        for (String component : path.split(String.valueOf(SEPARATOR), -1)) {
            if (component.isEmpty()) {
                throw refusal.refuse(Reason.NAME_NOT_PLAIN, "the name has an empty component");
            } else if (component.getBytes(StandardCharsets.UTF_8).length > MAX_COMPONENT_BYTES) {
                throw refusal.refuse(Reason.NAME_NOT_PLAIN, "a component of the name is longer than "
                        + MAX_COMPONENT_BYTES + " bytes");
            } else if (component.equals(PARENT)) {
                parentReference = true;
                if (components.isEmpty()) {
                    throw refusal.refuse(Reason.ESCAPES_TARGET, "the name leads outside the target directory");
                }
                components.remove(components.size() - 1);
            } else if (!component.equals(CURRENT)) {
                components.add(component);
            }
        }
        if (parentReference) {
            throw refusal.refuse(Reason.PARENT_REFERENCE, "the name has a '..' component");
        }
        if (components.size() > MAX_DEPTH) {
            throw refusal.refuse(Reason.NAME_NOT_PLAIN, "the name is nested deeper than " + MAX_DEPTH + " levels");
        }
        return new EntryName(components);
    }

    /** Whether this is the target directory itself ({@code ./}). */
    boolean isRoot() {
        return components.isEmpty();
    }

    /** The name of the directory holding this entry; the root's parent is the root. */
    EntryName parent() {
        return isRoot() ? this : new EntryName(components.subList(0, components.size() - 1));
    }

    /** The path in the archive's spelling, without {@code ./} and trailing slash. */
    @Override
    public String toString() {
        return String.join(String.valueOf(SEPARATOR), components);
    }

    /** Builds the error for a refused name; the caller knows the archive and the raw name. */
    @FunctionalInterface
    interface Refusal {
        /** The error refusing the current entry for {@code reason}, {@code detail} ending the sentence. */
        ArchiveRefusedException refuse(Reason reason, String detail);
    }
}
