package dev.diskimage.catalog.distro;

import dev.diskimage.catalog.distro.DistroProvider.Compression;
import dev.diskimage.core.UntrustedText;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The distros {@link DistroImage} knows, by name (case-insensitive). {@link #standard()} holds
 * the seeds, which follow the real mirror layouts: Fedora, FedoraSecondary, CentOS (Stream),
 * Ubuntu, Debian, openSUSE (Leap), CirrOS and FreeBSD. A user adds a distro by registering
 * one more {@link DistroProvider} (a provider with a seed's name replaces the seed). Safe for
 * use by several threads.
 */
public final class DistroProviders {
    /** Fedora's primary architectures. */
    public static final String FEDORA = "Fedora";
    /** Fedora's secondary architectures (another tree: {@code fedora-secondary}). */
    public static final String FEDORA_SECONDARY = "FedoraSecondary";

    /** The arches {@code Fedora} hands to {@code FedoraSecondary}, as avocado does. */
    private static final Set<String> SECONDARY_ARCHES = Set.of("ppc64le", "s390x");

    /**
     * The seed providers, in the order {@link #standard()} registers them (avocado's
     * {@code IMAGE_PROVIDERS}).
     */
    public static final List<DistroProvider> IMAGE_PROVIDERS = List.copyOf(seeds());

    private static final DistroProviders GLOBAL = standard();

    private final Map<String, DistroProvider> byName = new LinkedHashMap<>();

    private DistroProviders() {
    }

    /**
     * A registry with the seed providers.
     *
     * @return a new registry, which the caller may add to
     */
    public static DistroProviders standard() {
        DistroProviders providers = new DistroProviders();
        IMAGE_PROVIDERS.forEach(providers::register);
        return providers;
    }

    /**
     * The registry of this JVM that requests use when they name none: the seeds, plus what
     * callers registered here. Registering in it is how a distro of one's own reaches
     * {@link DistroImage#get(String, String, String, String, String, String, java.nio.file.Path,
     * java.nio.file.Path, dev.diskimage.core.ImageGate)}; tests and libraries that want no shared
     * state use {@link #standard()} and {@link DistroRequest.Builder#providers}.
     *
     * @return the shared registry
     */
    public static DistroProviders global() {
        return GLOBAL;
    }

    /**
     * A registry without providers.
     *
     * @return a new empty registry
     */
    public static DistroProviders empty() {
        return new DistroProviders();
    }

    /**
     * Adds a provider, replacing one of the same name.
     *
     * @param provider the provider
     * @return this registry
     */
    public synchronized DistroProviders register(DistroProvider provider) {
        Objects.requireNonNull(provider, "provider");
        byName.put(provider.name().toLowerCase(Locale.ROOT), provider);
        return this;
    }

    /**
     * The providers in the order registered.
     *
     * @return a snapshot of the providers
     */
    public synchronized List<DistroProvider> all() {
        return List.copyOf(byName.values());
    }

    /**
     * The provider for a name.
     *
     * @param name a distro name, any case
     * @return the provider, or empty
     */
    public synchronized Optional<DistroProvider> find(String name) {
        return Optional.ofNullable(byName.get(Objects.requireNonNull(name, "name").toLowerCase(Locale.ROOT)));
    }

    /**
     * The provider for a name and arch: {@code Fedora} on ppc64le or s390x is
     * {@code FedoraSecondary}, whose tree holds those arches.
     *
     * @param name a distro name, any case
     * @param arch the host arch name
     * @return the provider
     * @throws IllegalArgumentException naming the known distros when there is none by that name
     */
    public DistroProvider require(String name, String arch) {
        String wanted = name.equalsIgnoreCase(FEDORA) && SECONDARY_ARCHES.contains(arch) ? FEDORA_SECONDARY : name;
        return find(wanted).orElseThrow(() -> new IllegalArgumentException("no distro named '"
                + UntrustedText.sanitize(name, 80) + "' (known: "
                + String.join(", ", all().stream().map(DistroProvider::name).toList()) + ")"));
    }

    private static List<DistroProvider> seeds() {
        List<DistroProvider> seeds = new ArrayList<>();
        seeds.add(fedora(FEDORA, "https://dl.fedoraproject.org/pub/fedora/linux/")
                .archive(URI.create("https://archives.fedoraproject.org/pub/archive/fedora/linux/"))
                .arches("x86_64", "aarch64").build());
        seeds.add(fedora(FEDORA_SECONDARY, "https://dl.fedoraproject.org/pub/fedora-secondary/")
                .archive(URI.create("https://archives.fedoraproject.org/pub/archive/fedora-secondary/"))
                .arches("aarch64", "ppc64le", "s390x").build());
        // CentOS Stream: <n>-stream/<arch>/images/, two file namings (with and without the arch
        // after GenericCloud), a CHECKSUM file in BSD style.
        seeds.add(DistroProvider.builder("CentOS", URI.create("https://cloud.centos.org/centos/"))
                .versions("", "{version}-stream/", "\\d+")
                .images("{version}-stream/{arch}/images/")
                .buildRegex("\\d{8}\\.\\d+")
                .file("CentOS-Stream-GenericCloud-{version}-{build}\\.{arch}\\.qcow2")
                .file("CentOS-Stream-GenericCloud-{arch}-{version}-{build}\\.\\k<arch>\\.qcow2")
                .checksumFile("CHECKSUM")
                .arches("x86_64", "aarch64", "ppc64le", "s390x").build());
        // Ubuntu: releases/<yy.mm>/release-<date>/, arch spelled amd64/arm64, SHA256SUMS beside.
        seeds.add(DistroProvider.builder("Ubuntu", URI.create("https://cloud-images.ubuntu.com/"))
                .versions("releases/", "{version}/", "\\d+\\.\\d+")
                .buildDirectories("releases/{version}/", "release-{build}/")
                .buildRegex("\\d{8}(?:\\.\\d+)?")
                .images("releases/{version}/release-{build}/")
                .file("ubuntu-{version}-server-cloudimg-{arch}\\.img")
                .checksumFile("SHA256SUMS")
                .archName("x86_64", "amd64").archName("aarch64", "arm64").archName("ppc64le", "ppc64el")
                .arches("x86_64", "aarch64", "ppc64le", "s390x").build());
        // Debian: <codename>/<date-time>/, the file named by number, SHA512SUMS beside.
        seeds.add(DistroProvider.builder("Debian", URI.create("https://cloud.debian.org/images/cloud/"))
                .versions("", "{codename}/", "\\d+")
                .codename("10", "buster").codename("11", "bullseye").codename("12", "bookworm")
                .codename("13", "trixie").codename("14", "forky")
                .buildDirectories("{codename}/", "{build}/")
                .buildRegex("\\d{8}-\\d{4}")
                .images("{codename}/{build}/")
                .file("debian-{version}-generic-{arch}-{build}\\.qcow2")
                .checksumFile("SHA512SUMS")
                .archName("x86_64", "amd64").archName("aarch64", "arm64").archName("ppc64le", "ppc64el")
                .arches("x86_64", "aarch64", "ppc64le").build());
        // openSUSE Leap 15: <version>/appliances/, the Minimal-VM Cloud image with its build in
        // the name (and an unversioned alias), one .sha256 per file. 42.x is a retired numbering.
        seeds.add(DistroProvider.builder("openSUSE", URI.create("https://download.opensuse.org/distribution/leap/"))
                .versions("", "{version}/", "1[5-9]\\.\\d+")
                .buildRegex("\\d+\\.\\d+")
                .images("{version}/appliances/")
                .file("openSUSE-Leap-{version}-Minimal-VM\\.{arch}-\\k<version>\\.\\d+-Cloud-Build{build}\\.qcow2")
                .file("openSUSE-Leap-{version}-Minimal-VM\\.{arch}-Cloud\\.qcow2")
                .checksumFile("{file}.sha256")
                .arches("x86_64", "aarch64").build());
        // CirrOS: <x.y.z>/, checksum lists for the whole version.
        seeds.add(DistroProvider.builder("CirrOS", URI.create("https://download.cirros-cloud.net/"))
                .versions("", "{version}/", "\\d+\\.\\d+\\.\\d+")
                .images("{version}/")
                .file("cirros-{version}-{arch}-disk\\.img")
                .checksumFile("SHA256SUMS").checksumFile("MD5SUMS")
                .arches("x86_64", "aarch64", "arm", "ppc64le").build());
        // FreeBSD: <x.y>-RELEASE/<arch>/Latest/, xz-compressed, checksums of the .xz files.
        seeds.add(DistroProvider.builder("FreeBSD", URI.create("https://download.freebsd.org/releases/VM-IMAGES/"))
                .archive(URI.create("https://ftp-archive.freebsd.org/pub/FreeBSD-Archive/old-releases/VM-IMAGES/"))
                .versions("", "{version}-RELEASE/", "\\d+\\.\\d+")
                .images("{version}-RELEASE/{arch}/Latest/")
                .file("FreeBSD-{version}-RELEASE-{arch}(?:-ufs)?\\.qcow2\\.xz")
                .file("FreeBSD-{version}-RELEASE-(?:arm64|riscv)-{arch}(?:-ufs)?\\.qcow2\\.xz")
                .checksumFile("CHECKSUM.SHA512").checksumFile("CHECKSUM.SHA256")
                .archName("x86_64", "amd64")
                .compression(Compression.XZ)
                .arches("x86_64", "aarch64", "riscv64").build());
        return seeds;
    }

    /**
     * Fedora's layout: releases/<n>/Cloud/<arch>/images/, three file namings (before 40, 40, and
     * 41 on), a CHECKSUM file per compose named by version, build and arch.
     */
    private static DistroProvider.Builder fedora(String name, String base) {
        return DistroProvider.builder(name, URI.create(base))
                .versions("releases/", "{version}/", "\\d+")
                .buildRegex("\\d+\\.\\d+")
                .images("releases/{version}/Cloud/{arch}/images/")
                .file("Fedora-Cloud-Base-Generic-{version}-{build}\\.{arch}\\.qcow2")
                .file("Fedora-Cloud-Base-Generic\\.{arch}-{version}-{build}\\.qcow2")
                .file("Fedora-Cloud-Base-{version}-{build}\\.{arch}\\.qcow2")
                .checksumFile("Fedora-Cloud-{version}-{build}-{arch}-CHECKSUM");
    }
}
