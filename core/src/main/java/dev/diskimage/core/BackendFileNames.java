package dev.diskimage.core;

import com.google.common.net.PercentEscaper;
import java.util.Locale;
import java.util.Objects;

/**
 * The naming scheme that ties a temporary file to the backend that created it:
 * {@code diskimage.<backend>.<caller prefix><random><caller suffix>}.
 *
 * <p>Why a scheme of its own: Cinder names temporary files with the backend name as a suffix
 * and removes everything that ends with it, so backend {@code b} also removes the leftovers of
 * backend {@code lvm-b}, and any foreign file that happens to end the same way. Here the backend
 * name sits between two dots in a fixed position, and every character outside
 * {@code [A-Za-z0-9_-]} (the dot and the percent sign included) is percent-encoded, so the
 * token can neither contain the separator nor be confused with another backend's token.
 */
final class BackendFileNames {

    /** Marks every temporary entry this project creates. */
    static final String MARKER = "diskimage";

    /** Separates the marker, the encoded backend name and the rest of the name. */
    static final char SEPARATOR = '.';

    /**
     * Longest encoded backend token. File names are limited to 255 bytes on common Linux file
     * systems; this leaves room for the marker, the caller's prefix and suffix and the random part.
     */
    static final int MAX_ENCODED_BACKEND_LENGTH = 96;

    /** Percent-encodes UTF-8 bytes outside {@code [A-Za-z0-9_-]}, with upper-case hex digits. */
    private static final PercentEscaper ESCAPER = new PercentEscaper("_-", false);

    private BackendFileNames() {
    }

    /**
     * The fixed start of every name created for {@code backendName}.
     *
     * @throws IllegalArgumentException if the name is empty or too long once encoded
     */
    static String prefixFor(String backendName) {
        return MARKER + SEPARATOR + encode(backendName) + SEPARATOR;
    }

    /** Whether {@code fileName} was created by this project for {@code backendName}. */
    static boolean belongsTo(String fileName, String backendName) {
        return fileName.startsWith(prefixFor(backendName));
    }

    /**
     * Percent-encodes the UTF-8 bytes of {@code backendName} outside {@code [A-Za-z0-9_-]}.
     *
     * @throws IllegalArgumentException if the name is empty, too long once encoded, or not
     *     valid UTF-16 (an unpaired surrogate)
     */
    static String encode(String backendName) {
        Objects.requireNonNull(backendName, "backendName");
        if (backendName.isEmpty()) {
            throw new IllegalArgumentException("backend name is empty");
        }
        String encoded = ESCAPER.escape(backendName);
        if (encoded.length() > MAX_ENCODED_BACKEND_LENGTH) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "backend name '%s' is too long: %d characters once encoded, at most %d",
                    backendName, encoded.length(), MAX_ENCODED_BACKEND_LENGTH));
        }
        return encoded;
    }
}
