package dev.diskimage.validation;

import dev.diskimage.core.UntrustedText;
import java.util.Objects;

/**
 * Something an image points at outside itself: a backing file, an external data file, a VMDK
 * extent in another file, a parent disk. Inspectors report these without ever opening them;
 * the policy decides which are allowed.
 *
 * @param kind   what sort of reference this is
 * @param code   the finding code used if the policy refuses it
 * @param target the path, file name or identifier as written in the image, with control
 *               characters escaped and its length capped ({@link UntrustedText})
 * @param offset where in the image the reference was found
 */
public record ExternalReference(Kind kind, FindingCode code, String target, long offset) {

    /** Reference kinds; only backing references may ever be allowed by policy. */
    public enum Kind {
        /** A backing file or parent disk the image is a difference against. */
        BACKING,
        /** A file the image keeps data in (qcow2 data-file, VMDK change-tracking file). Never allowed. */
        DATA_FILE,
        /** A VMDK extent stored in another file. Never allowed. */
        EXTENT
    }

    /**
     * Checks the components and sanitizes the target: control characters escaped and the length
     * capped at {@link UntrustedText#MAX_NAME_CHARS}.
     *
     * @param kind   what sort of reference this is
     * @param code   the finding code used if the policy refuses it
     * @param target the path, file name or identifier as written in the image, with control
     *               characters escaped and its length capped ({@link UntrustedText})
     * @param offset where in the image the reference was found
     * @throws NullPointerException if the kind, the code or the target is null
     */
    public ExternalReference {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(code, "code");
        target = UntrustedText.sanitize(Objects.requireNonNull(target, "target"));
    }
}
