package dev.diskimage.conversion.archive;

import dev.diskimage.core.ImageException;
import dev.diskimage.core.UntrustedText;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * An archive was refused: it is not a gzipped tar, it is damaged, or an entry is one that
 * extraction never writes (a link, a device, a path leaving the target, more than the limits
 * allow). Nothing of the archive is left on disk when this is thrown. The {@link #reason()} says
 * which rule, so callers branch on a value instead of message text; the message names the archive,
 * the entry (sanitized: names in archives are hostile) and the reason.
 */
public class ArchiveRefusedException extends ImageException {
    private static final long serialVersionUID = 1L;

    /** Which rule refused the archive. */
    public enum Reason {
        /** The file does not start with the gzip magic bytes. */
        NOT_GZIP,
        /**
         * The gzip or tar structure is broken: bad compressed data or CRC, a tar header whose
         * checksum or numbers are invalid, a directory entry that carries data, data after the end.
         */
        CORRUPT,
        /** The archive ends before its last entry's data or before the gzip trailer. */
        TRUNCATED,
        /** An entry name starts with {@code /}. */
        ABSOLUTE_PATH,
        /** An entry name leads outside the target once {@code .} and {@code ..} are resolved. */
        ESCAPES_TARGET,
        /** An entry name has a {@code ..} component, even one that stays inside the target. */
        PARENT_REFERENCE,
        /**
         * An entry name is not a plain relative path: empty, an empty component ({@code a//b}),
         * a control or invisible formatting character, a backslash, an undecodable byte, more than
         * 1,024 characters, a component longer than 255 bytes, or more than 64 levels deep.
         */
        NAME_NOT_PLAIN,
        /** A symbolic link entry. */
        SYMBOLIC_LINK,
        /** A hard link entry. */
        HARD_LINK,
        /** A character or block device entry. */
        DEVICE,
        /** A FIFO (named pipe) entry. */
        FIFO,
        /** Another entry type than a regular file or a directory (GNU volume label, multi-volume part, ...). */
        UNSUPPORTED_TYPE,
        /** Two entries with the same name (after {@code ./} prefixes and trailing slashes are removed). */
        DUPLICATE_ENTRY,
        /** A file and a directory at the same path, or an entry below a file. */
        PATH_CONFLICT,
        /** More entries than {@link ExtractionLimits#maxEntries()}. */
        TOO_MANY_ENTRIES,
        /** The files would expand to more than {@link ExtractionLimits#maxExpandedBytes()}. */
        TOO_LARGE,
        /** More tar metadata (headers, PAX records, long names, padding) than the limits allow for. */
        HEADERS_TOO_LARGE,
        /** An entry's content is longer or shorter than its header declares. */
        SIZE_MISMATCH
    }

    /** The archive refused; not serialized. */
    private final transient Path archive;
    /** The refused entry's name, sanitized; null when the archive as a whole was refused. */
    private final String entry;
    /** Which rule refused the archive. */
    private final Reason reason;

    /**
     * Creates the error.
     *
     * @param archive the archive that was refused
     * @param entry the entry's name as the archive gives it (sanitized here), or null when the
     *     archive as a whole was refused
     * @param reason which rule refused it
     * @param detail what was found, as the end of a sentence (numbers, the entry type)
     * @param cause the reader's error, or null
     */
    ArchiveRefusedException(Path archive, String entry, Reason reason, String detail, Throwable cause) {
        super(message(archive, entry, detail), cause);
        this.archive = archive;
        this.entry = entry == null ? null : UntrustedText.sanitize(entry);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    private static String message(Path archive, String entry, String detail) {
        String where = entry == null ? "" : ", entry '" + UntrustedText.sanitize(entry) + "'";
        return "refused archive " + UntrustedText.sanitize(String.valueOf(archive)) + where + ": " + detail
                + "; nothing was extracted";
    }

    /**
     * Which rule refused the archive.
     *
     * @return the reason, never null
     */
    public Reason reason() {
        return reason;
    }

    /**
     * The archive that was refused.
     *
     * @return the archive's path; null after deserialization (paths are not serialized)
     */
    public Path archive() {
        return archive;
    }

    /**
     * The entry that was refused, sanitized ({@link UntrustedText#sanitize(String)}).
     *
     * @return the entry's name, or empty when the archive as a whole was refused (not gzip,
     *     corrupt before the first entry, too many entries counted before any name)
     */
    public Optional<String> entry() {
        return Optional.ofNullable(entry);
    }
}
