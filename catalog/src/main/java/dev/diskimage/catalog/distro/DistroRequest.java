package dev.diskimage.catalog.distro;

import dev.diskimage.catalog.cache.Checksum;
import dev.diskimage.catalog.cache.DownloadProgress;
import dev.diskimage.catalog.cache.ImageCache;
import dev.diskimage.core.ImageGate;
import dev.diskimage.core.QemuImg;
import java.net.URI;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link DistroImage#get(DistroRequest)} should hand out: a distro by name, optionally a
 * version, build and arch (defaults: the newest version and build, the host's arch), a checksum
 * of the caller's, a mirror, the cache and the overlays' directory, and the gate that must admit
 * the download before anything uses it. Built with {@link #builder(String, ImageGate)}.
 */
public final class DistroRequest {
    private final String name;
    private final Optional<String> version;
    private final Optional<String> build;
    private final String arch;
    private final Optional<Checksum> checksum;
    private final Optional<URI> mirror;
    private final Optional<ImageCache> cache;
    private final Optional<Path> snapshotDir;
    private final ImageGate gate;
    private final DistroProviders providers;
    private final DownloadProgress progress;
    private final Optional<QemuImg> qemuImg;

    private DistroRequest(Builder b) {
        this.name = b.name;
        this.version = Optional.ofNullable(b.version);
        this.build = Optional.ofNullable(b.build);
        this.arch = b.arch == null ? DistroImage.hostArch() : b.arch;
        this.checksum = Optional.ofNullable(b.checksum);
        this.mirror = Optional.ofNullable(b.mirror);
        this.cache = Optional.ofNullable(b.cache);
        this.snapshotDir = Optional.ofNullable(b.snapshotDir);
        this.gate = b.gate;
        this.providers = b.providers == null ? DistroProviders.global() : b.providers;
        this.progress = b.progress;
        this.qemuImg = Optional.ofNullable(b.qemuImg);
    }

    /**
     * Starts a request.
     *
     * @param name the distro's name, any case (see {@link DistroProviders})
     * @param gate admits the downloaded image before it is cached or used; production code
     *     passes the validator ({@code ImageValidator.of(policy)})
     * @return a builder with every other option at its default
     */
    public static Builder builder(String name, ImageGate gate) {
        return new Builder(name, gate);
    }

    /**
     * The distro's name as asked.
     *
     * @return the name, any case
     */
    public String name() {
        return name;
    }

    /**
     * The version asked for.
     *
     * @return the version, or empty for the newest
     */
    public Optional<String> version() {
        return version;
    }

    /**
     * The build asked for.
     *
     * @return the build, or empty for the newest
     */
    public Optional<String> build() {
        return build;
    }

    /**
     * The arch the image is for, as the host names it.
     *
     * @return e.g. {@code x86_64}; the host's when none was given
     */
    public String arch() {
        return arch;
    }

    /**
     * The caller's checksum of the published file.
     *
     * @return the checksum, or empty
     */
    public Optional<Checksum> checksum() {
        return checksum;
    }

    /**
     * The mirror that replaces the provider's base URL.
     *
     * @return the mirror, or empty for the distro's own
     */
    public Optional<URI> mirror() {
        return mirror;
    }

    /**
     * The cache the base image is kept in.
     *
     * @return the cache, or empty for the default one ({@link ImageCache#defaultRoot()})
     */
    public Optional<ImageCache> cache() {
        return cache;
    }

    /**
     * Where overlays are created.
     *
     * @return the directory, or empty for {@code snapshots} in the cache's root
     */
    public Optional<Path> snapshotDir() {
        return snapshotDir;
    }

    /**
     * The gate that admits the download before it is cached or used.
     *
     * @return the gate
     */
    public ImageGate gate() {
        return gate;
    }

    /**
     * The registry the name is looked up in.
     *
     * @return the registry
     */
    public DistroProviders providers() {
        return providers;
    }

    /**
     * The download's listener.
     *
     * @return the listener
     */
    public DownloadProgress progress() {
        return progress;
    }

    /**
     * The qemu-img that creates overlays.
     *
     * @return the qemu-img, or empty for {@link QemuImg#system()}
     */
    public Optional<QemuImg> qemuImg() {
        return qemuImg;
    }

    /** Collects a {@link DistroRequest}'s options. */
    public static final class Builder {
        private final String name;
        private final ImageGate gate;
        private String version;
        private String build;
        private String arch;
        private Checksum checksum;
        private URI mirror;
        private ImageCache cache;
        private Path snapshotDir;
        private DistroProviders providers;
        private DownloadProgress progress = DownloadProgress.NONE;
        private QemuImg qemuImg;

        private Builder(String name, ImageGate gate) {
            this.name = Objects.requireNonNull(name, "name");
            this.gate = Objects.requireNonNull(gate, "gate");
        }

        /**
         * The version (a codename where the distro has them, e.g. {@code bookworm}).
         *
         * @param value the version; a plain name
         * @return this builder
         * @throws IllegalArgumentException if it is not a plain name
         */
        public Builder version(String value) {
            this.version = EntryName.require(value, "version");
            return this;
        }

        /**
         * The build.
         *
         * @param value e.g. {@code 1.14} (Fedora) or {@code 20240211-1654} (Debian)
         * @return this builder
         * @throws IllegalArgumentException if it is not a plain name
         */
        public Builder build(String value) {
            this.build = EntryName.require(value, "build");
            return this;
        }

        /**
         * The arch, as the host names it ({@code x86_64}, {@code aarch64}, {@code ppc64le},
         * {@code s390x}); providers translate it to their own spelling.
         *
         * @param value the arch
         * @return this builder
         * @throws IllegalArgumentException if it is not a plain name
         */
        public Builder arch(String value) {
            this.arch = EntryName.require(value, "arch");
            return this;
        }

        /**
         * The checksum of the published file, as the caller knows it. It is checked instead of
         * the distro's published one; if both are given in the same algorithm they must agree.
         *
         * @param value the checksum
         * @return this builder
         */
        public Builder checksum(Checksum value) {
            this.checksum = Objects.requireNonNull(value, "checksum");
            return this;
        }

        /**
         * A mirror with the distro's layout below it, instead of the provider's base URL.
         *
         * @param value an http, https or file URL
         * @return this builder
         */
        public Builder mirror(URI value) {
            this.mirror = Objects.requireNonNull(value, "mirror");
            return this;
        }

        /**
         * The cache the base image is kept in.
         *
         * @param value the cache
         * @return this builder
         */
        public Builder cache(ImageCache value) {
            this.cache = Objects.requireNonNull(value, "cache");
            return this;
        }

        /**
         * Where overlays are created (made if missing).
         *
         * @param value the directory
         * @return this builder
         */
        public Builder snapshotDir(Path value) {
            this.snapshotDir = Objects.requireNonNull(value, "snapshotDir");
            return this;
        }

        /**
         * The providers the name is looked up in (default {@link DistroProviders#global()}).
         *
         * @param value the registry
         * @return this builder
         */
        public Builder providers(DistroProviders value) {
            this.providers = Objects.requireNonNull(value, "providers");
            return this;
        }

        /**
         * Hears the download's progress.
         *
         * @param value the listener
         * @return this builder
         */
        public Builder progress(DownloadProgress value) {
            this.progress = Objects.requireNonNull(value, "progress");
            return this;
        }

        /**
         * The qemu-img that creates overlays (default {@link QemuImg#system()}).
         *
         * @param value the qemu-img
         * @return this builder
         */
        public Builder qemuImg(QemuImg value) {
            this.qemuImg = Objects.requireNonNull(value, "qemuImg");
            return this;
        }

        /**
         * The request.
         *
         * @return the request
         */
        public DistroRequest build() {
            return new DistroRequest(this);
        }
    }
}
