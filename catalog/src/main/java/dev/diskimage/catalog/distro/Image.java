package dev.diskimage.catalog.distro;

import java.net.URI;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * A distro cloud image handed out by {@link DistroImage#get}: the cached, admitted download
 * ({@link #baseImage()}) and a fresh qcow2 overlay on it ({@link #path()}) that the caller may
 * boot and write; every {@code get} makes a new overlay, and the base stays unchanged.
 *
 * @param name the distro, as its provider names it (e.g. {@code Fedora})
 * @param version the version (e.g. {@code 40}; Debian's by number)
 * @param build the build, when the distro names builds
 * @param arch the host arch name (e.g. {@code x86_64})
 * @param url where the image was published
 * @param baseImage the cached image the overlay is backed by
 * @param path the new overlay
 */
public record Image(String name, String version, Optional<String> build, String arch, URI url, Path baseImage,
        Path path) {

    /** Checks that nothing is missing. */
    public Image {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(build, "build");
        Objects.requireNonNull(arch, "arch");
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(baseImage, "baseImage");
        Objects.requireNonNull(path, "path");
    }

    /**
     * The image as avocado's vmimage prints it.
     *
     * @return e.g. {@code <Image name=Fedora version=35 arch=x86_64>}
     */
    @Override
    public String toString() {
        return "<Image name=" + name + " version=" + version + " arch=" + arch + ">";
    }
}
