package dev.diskimage.catalog.distro;

import dev.diskimage.core.UntrustedText;
import java.util.regex.Pattern;

/**
 * The one rule for names that come from a mirror (listing entries, versions, builds) or a user
 * (version, build, arch) and end up in a URL or a file name: letters, digits and {@code . _ + ~ -},
 * starting with a letter or digit, at most 200 characters. Such a name is a single path
 * segment: it cannot climb ({@code ..}), nest ({@code /}) or smuggle control characters.
 */
final class EntryName {
    /** The longest name accepted; real image file names are under 100 characters. */
    static final int MAX_LENGTH = 200;

    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+~-]*");

    private EntryName() {
    }

    /** Whether {@code name} is a safe single segment. */
    static boolean isSafe(String name) {
        return name != null && name.length() <= MAX_LENGTH && SAFE.matcher(name).matches();
    }

    /**
     * Returns {@code value} when it is a safe segment.
     *
     * @param what what the value is, for the error ("version", "build", "arch")
     * @throws IllegalArgumentException naming the value when it is not
     */
    static String require(String value, String what) {
        if (!isSafe(value)) {
            throw new IllegalArgumentException(what + " '" + UntrustedText.sanitize(String.valueOf(value), 80)
                    + "' is not a plain name (letters, digits and . _ + ~ -)");
        }
        return value;
    }
}
