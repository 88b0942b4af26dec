package dev.diskimage.catalog.distro;

import dev.diskimage.catalog.cache.CacheRequest;
import dev.diskimage.catalog.cache.CachedImage;
import dev.diskimage.catalog.cache.Checksum;
import dev.diskimage.catalog.cache.ChecksumAlgorithm;
import dev.diskimage.catalog.cache.ChecksumMismatchException;
import dev.diskimage.catalog.cache.DownloadFailedException;
import dev.diskimage.catalog.cache.ImageCache;
import dev.diskimage.catalog.cache.StreamDecoder;
import dev.diskimage.catalog.distro.MirrorResolver.Release;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.ImageException;
import dev.diskimage.core.ImageGate;
import dev.diskimage.core.ImageIoException;
import dev.diskimage.core.QemuImg;
import dev.diskimage.core.QemuImgCreateRequest;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Distro cloud images for tests and labs, in the manner of avocado's {@code vmimage}: finds the
 * newest (or the asked) version and build of a distro's image on its mirror, downloads it once
 * into the shared {@link ImageCache} (verified against the distro's published checksum, or the
 * caller's, and admitted by the caller's gate) and hands out a new qcow2 overlay on it per call,
 * so two calls give two independent disks over one download.
 *
 * <pre>{@code
 * Image image = DistroImage.get(DistroRequest.builder("fedora", ImageValidator.of(ImagePolicy.defaults()))
 *         .version("40").arch("x86_64").build());
 * image.path();       // a new overlay: qemu-img create -f qcow2 -b <base> -F qcow2
 * image.baseImage();  // the cached download, never written
 * }</pre>
 *
 * <p>Nothing downloaded is used before the gate admitted it: the cache runs the gate before the
 * download becomes an entry, and the overlay is created on the admitted entry with its admitted
 * format. The overlay is registered with the cache as a referrer, so the base is not pruned while
 * the overlay exists.
 */
public final class DistroImage {
    /** The overlays' directory inside the cache root, when the caller names none. */
    public static final String SNAPSHOTS = "snapshots";

    private static final Logger LOG = LoggerFactory.getLogger(DistroImage.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private DistroImage() {
    }

    /**
     * Finds, downloads (once) and hands out a distro image as a new overlay.
     *
     * @param request what to hand out
     * @return the image: its cached base and a new overlay
     * @throws IllegalArgumentException if no provider has the name, or the caller's checksum
     *     contradicts the published one
     * @throws DistroImageNotFoundException if the mirror has no matching version, build or file
     * @throws MirrorException if a listing or checksum file cannot be read
     * @throws ChecksumMismatchException if the download does not have the expected checksum
     * @throws dev.diskimage.catalog.cache.ImageRefusedException if the gate refuses the image
     * @throws dev.diskimage.core.ImageNotFoundException if the image file is gone (404)
     * @throws DownloadFailedException if the download fails on the way
     * @throws dev.diskimage.core.QemuImgException if qemu-img cannot create the overlay
     */
    public static Image get(DistroRequest request) {
        DistroProvider registered = request.providers().require(request.name(), request.arch());
        MirrorResolver resolver = new MirrorResolver(new MirrorReader());
        Release release = request.mirror().isPresent()
                ? resolver.resolve(registered.withMirror(request.mirror().get()), request.version(), request.build(),
                        request.arch())
                : resolveWithArchives(resolver, registered, request);
        DistroProvider provider = release.provider();
        Optional<Checksum> published = provider.checksumFiles().isEmpty() ? Optional.empty()
                : resolver.publishedChecksum(release);
        Optional<Checksum> expected = expected(release, request.checksum(), published);
        LOG.info("{} {}{} for {}: {} (checksum {})", provider.name(), release.version(),
                release.build().map(b -> " build " + b).orElse(""), request.arch(), release.imageUrl(),
                expected.map(Checksum::toString).orElse("none published"));

        boolean xz = provider.compression() == DistroProvider.Compression.XZ;
        String storedName = xz && release.fileName().endsWith(".xz")
                ? release.fileName().substring(0, release.fileName().length() - 3) : release.fileName();
        CacheRequest.Builder cacheRequest = CacheRequest.builder(release.imageUrl(), storedName)
                .gate(request.gate(), Optional.of(provider.format()))
                .progress(request.progress());
        if (xz) {
            // The published checksum is of the compressed file: checked on the raw bytes as they
            // pass, before the decompressed image can become an entry.
            cacheRequest.decoder(raw -> StreamDecoder.xz().decode(CheckedStream.of(raw, expected)));
        } else {
            expected.ifPresent(cacheRequest::checksum);
        }
        ImageCache cache = request.cache().orElseGet(() -> ImageCache.open(ImageCache.defaultRoot()));
        Path snapshots = request.snapshotDir().orElse(cache.root().resolve(SNAPSHOTS));
        QemuImg qemu = request.qemuImg().orElseGet(QemuImg::system);
        try (CachedImage base = fetch(cache, cacheRequest.build(), expected)) {
            Path overlay = overlay(qemu, base.path(), base.format(), snapshots);
            try {
                cache.addReferrer(base, overlay);
            } catch (RuntimeException e) {
                deleteQuietly(overlay);
                throw e;
            }
            return new Image(provider.name(), release.version(), release.build(), request.arch(), release.imageUrl(),
                    base.path(), overlay);
        }
    }

    /**
     * avocado's {@code vmimage.get} with Java types: every argument but the name and the gate may
     * be null for its default.
     *
     * @param name the distro's name
     * @param version the version, or null for the newest
     * @param build the build, or null for the newest
     * @param arch the host arch name, or null for {@link #hostArch()}
     * @param checksum the caller's hex digest of the published file, or null
     * @param algorithm the digest's algorithm ({@code sha256}, {@code sha512}, {@code sha1},
     *     {@code md5}), or null for {@code sha256}; used only with a checksum
     * @param cacheDir the cache's root, or null for {@link ImageCache#defaultRoot()}
     * @param snapshotDir where the overlay is created, or null for {@code snapshots} in the cache
     * @param gate admits the download before it is used
     * @return the image
     * @throws IllegalArgumentException for an unknown name, algorithm or malformed checksum
     * @see #get(DistroRequest) for the other errors
     */
    public static Image get(String name, String version, String build, String arch, String checksum,
            String algorithm, Path cacheDir, Path snapshotDir, ImageGate gate) {
        DistroRequest.Builder request = DistroRequest.builder(name, gate);
        if (version != null) {
            request.version(version);
        }
        if (build != null) {
            request.build(build);
        }
        if (arch != null) {
            request.arch(arch);
        }
        if (checksum != null) {
            request.checksum(new Checksum(algorithm == null ? ChecksumAlgorithm.SHA256
                    : ChecksumAlgorithm.fromName(algorithm), checksum));
        }
        if (cacheDir != null) {
            request.cache(ImageCache.open(cacheDir));
        }
        if (snapshotDir != null) {
            request.snapshotDir(snapshotDir);
        }
        return get(request.build());
    }

    /**
     * The host's arch as distros name it.
     *
     * @return {@code x86_64}, {@code aarch64}, {@code ppc64le}, {@code s390x}, ... (the JVM's
     *     {@code os.arch}, with {@code amd64} spelled {@code x86_64})
     */
    public static String hostArch() {
        String arch = System.getProperty("os.arch", "x86_64").toLowerCase(Locale.ROOT);
        return switch (arch) {
            case "amd64", "x86-64", "x64" -> "x86_64";
            case "arm64" -> "aarch64";
            default -> arch;
        };
    }

    /** Searches the distro's base URL, then its archives in order, for the first that has the image. */
    private static Release resolveWithArchives(MirrorResolver resolver, DistroProvider provider,
            DistroRequest request) {
        List<DistroProvider> places = new ArrayList<>();
        places.add(provider);
        provider.archiveUrls().forEach(url -> places.add(provider.withMirror(url)));
        DistroImageNotFoundException first = null;
        for (DistroProvider place : places) {
            try {
                return resolver.resolve(place, request.version(), request.build(), request.arch());
            } catch (DistroImageNotFoundException e) {
                LOG.debug("{}: {}", place, e.getMessage());
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (places.size() == 1) {
            throw first;
        }
        DistroImageNotFoundException error = new DistroImageNotFoundException(first.listing(), first.getMessage()
                + " (and not in the archive" + (places.size() > 2 ? "s " : " ") + String.join(", ",
                provider.archiveUrls().stream().map(URI::toString).toList()) + ")");
        for (Throwable suppressed : first.getSuppressed()) {
            error.addSuppressed(suppressed);
        }
        throw error;
    }

    /** The checksum to verify: the caller's, which must agree with a published one of the same algorithm. */
    private static Optional<Checksum> expected(Release release, Optional<Checksum> caller, Optional<Checksum> published) {
        if (caller.isPresent() && published.isPresent()
                && caller.get().algorithm() == published.get().algorithm() && !caller.get().equals(published.get())) {
            throw new IllegalArgumentException("the checksum given for " + release.imageUrl() + " (" + caller.get()
                    + ") is not the one the distro publishes (" + published.get() + ")");
        }
        return caller.isPresent() ? caller : published;
    }

    private static CachedImage fetch(ImageCache cache, CacheRequest request, Optional<Checksum> expected) {
        try {
            return cache.fetch(request);
        } catch (DownloadFailedException e) {
            if (e.getCause() instanceof CheckedStream.MismatchException mismatch && expected.isPresent()) {
                throw new ChecksumMismatchException(request.url(), expected.get(), mismatch.actual());
            }
            throw e;
        }
    }

    /** A new qcow2 overlay on the admitted base, written to a temporary name and renamed into place. */
    private static Path overlay(QemuImg qemu, Path base, DiskFormat baseFormat, Path directory) {
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new ImageIoException("cannot create the snapshot directory", directory, e);
        }
        String stem = base.getFileName().toString().replaceFirst("\\.(qcow2|img|raw)$", "");
        for (int attempt = 0; attempt < 10; attempt++) {
            byte[] random = new byte[4];
            RANDOM.nextBytes(random);
            String suffix = HexFormat.of().formatHex(random);
            Path target = directory.resolve(stem + "-" + suffix + ".qcow2").toAbsolutePath();
            if (Files.exists(target)) {
                continue;
            }
            Path partial = directory.resolve("." + stem + "-" + suffix + ".qcow2.partial").toAbsolutePath();
            try {
                qemu.create(QemuImgCreateRequest.builder(partial, DiskFormat.QCOW2)
                        .backingFile(base.toAbsolutePath().toString(), baseFormat)
                        .build());
                Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
                LOG.debug("overlay {} on {}", target, base);
                return target;
            } catch (IOException e) {
                throw new ImageIoException("cannot create the overlay", target, e);
            } finally {
                deleteQuietly(partial);
            }
        }
        throw new ImageException("cannot find a free overlay name in " + directory);
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.debug("cannot delete {}", file, e);
        }
    }
}
