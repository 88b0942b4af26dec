package dev.diskimage.core.service;

import java.util.Locale;

/**
 * The life-cycle state of an image in its service, with Glance's names. Only {@link #ACTIVE}
 * images have data that can be downloaded.
 */
public enum ImageStatus {
    /** Created, no data yet. */
    QUEUED,
    /** Data is being uploaded. */
    SAVING,
    /** Data is being uploaded to the staging area (interoperable import). */
    UPLOADING,
    /** An import is processing the staged data. */
    IMPORTING,
    /** Has data; can be downloaded. */
    ACTIVE,
    /** Made unavailable by an administrator; data kept. */
    DEACTIVATED,
    /** The upload failed. */
    KILLED,
    /** Deleted. */
    DELETED,
    /** Deleted, data not yet scrubbed. */
    PENDING_DELETE,
    /** A state this project does not know (a newer service); treated as not downloadable. */
    UNKNOWN;

    /**
     * The status named by a service.
     *
     * @param name the service's name, e.g. {@code active} or {@code pending_delete}
     * @return the status, {@link #UNKNOWN} for a name this project does not know
     */
    public static ImageStatus fromName(String name) {
        for (ImageStatus status : values()) {
            if (status != UNKNOWN && status.serviceName().equals(name)) {
                return status;
            }
        }
        return UNKNOWN;
    }

    /**
     * The name a service uses for this status.
     *
     * @return e.g. {@code active}
     */
    public String serviceName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
