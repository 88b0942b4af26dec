package dev.diskimage.core.service;

import dev.diskimage.core.ImageException;

/**
 * An image's bytes are not the bytes its service describes: the size, the MD5 checksum or the
 * multihash differ, or the service names a hash algorithm that cannot be checked. Whatever was
 * written from those bytes has been deleted by the time this is thrown.
 */
public class ImageIntegrityException extends ImageException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the error.
     *
     * @param message names the image, what differed, what was expected and what was found
     */
    public ImageIntegrityException(String message) {
        super(message);
    }
}
