package dev.diskimage.core;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Decides whether a file may be used as a disk image, and what format it is. Modules that
 * bring images in but may not depend on the validator (the catalog: distro mirrors, template
 * repositories, the image cache) take a gate from their caller; {@code ImageValidator} in the
 * validation module is the gate production code passes, so nothing those modules download is
 * used before the pure-Java inspectors have accepted it.
 */
@FunctionalInterface
public interface ImageGate {

    /**
     * Admits the file as an image, or refuses it.
     *
     * @param image the file to inspect; not opened by anything else until this returns
     * @param declared the format the file is said to have; empty when nothing is claimed
     * @return the format the file's bytes show
     * @throws ImageException when the file is not an acceptable image (the validator's
     *                        {@code ImageUnacceptableException}) or cannot be read
     */
    DiskFormat admit(Path image, Optional<DiskFormat> declared);
}
