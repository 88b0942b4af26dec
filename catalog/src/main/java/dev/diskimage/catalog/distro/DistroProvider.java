package dev.diskimage.catalog.distro;

import dev.diskimage.core.DiskFormat;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Where one distro publishes its cloud images, as data: a base URL and the layout below it.
 * Every path is relative to the base URL, so {@link #withMirror(URI)} moves a provider to a
 * mirror that keeps the distro's layout. Paths and patterns use placeholders: {@code {version}},
 * {@code {build}}, {@code {arch}} (the distro's own arch name, see {@link Builder#archName}),
 * {@code {codename}} (the version's directory name, see {@link Builder#codename}) and, in
 * checksum file names, {@code {file}} (the image's file name).
 *
 * <p>Finding an image walks the layout: list {@link #versionsPath()} and keep the entries
 * matching {@link #versionEntry()}; if the provider has build directories, list
 * {@link #buildsPath()} and keep the entries matching {@link #buildEntry()}; list
 * {@link #imagesPath()} and keep the files matching one of {@link #filePatterns()}; take the
 * newest by {@link VersionOrder}. The seeds are in {@link DistroProviders#standard()}; a user's
 * own distro is one more {@code DistroProvider.builder(...)...build()} registered there.
 *
 * <p>Patterns are regular expressions matched against a whole listing entry (a directory's
 * entry ends with {@code /}); the placeholders in them become named groups.
 */
public final class DistroProvider {
    private final String name;
    private final URI baseUrl;
    private final List<URI> archiveUrls;
    private final String versionsPath;
    private final String versionEntry;
    private final String versionRegex;
    private final Map<String, String> codenames;
    private final Optional<String> buildsPath;
    private final String buildEntry;
    private final String buildRegex;
    private final String imagesPath;
    private final List<String> filePatterns;
    private final List<String> checksumFiles;
    private final Map<String, String> archNames;
    private final Set<String> arches;
    private final DiskFormat format;
    private final Compression compression;

    /** How the published file is compressed; the cache stores the decompressed image. */
    public enum Compression {
        /** The file is the image. */
        NONE,
        /** The file is the image compressed with xz ({@code .xz}); the cache stores it decompressed. */
        XZ
    }

    private DistroProvider(Builder b) {
        this.name = b.name;
        this.baseUrl = b.baseUrl;
        this.archiveUrls = List.copyOf(b.archiveUrls);
        this.versionsPath = b.versionsPath;
        this.versionEntry = b.versionEntry;
        this.versionRegex = b.versionRegex;
        this.codenames = Map.copyOf(b.codenames);
        this.buildsPath = Optional.ofNullable(b.buildsPath);
        this.buildEntry = b.buildEntry;
        this.buildRegex = b.buildRegex;
        this.imagesPath = b.imagesPath;
        this.filePatterns = List.copyOf(b.filePatterns);
        this.checksumFiles = List.copyOf(b.checksumFiles);
        this.archNames = Map.copyOf(b.archNames);
        this.arches = Set.copyOf(b.arches);
        this.format = b.format;
        this.compression = b.compression;
    }

    /**
     * Starts a provider.
     *
     * @param name the distro's name as users type it (matched without regard to case), e.g.
     *     {@code Fedora}; letters, digits, {@code -} and {@code _}
     * @param baseUrl the distro's base URL: the layout's paths are relative to it
     * @return a builder
     * @throws IllegalArgumentException if the name is not plain or the URL is not absolute
     */
    public static Builder builder(String name, URI baseUrl) {
        return new Builder(name, baseUrl);
    }

    /**
     * The same layout under another base URL: a mirror of the distro.
     *
     * @param mirror the mirror's base URL ({@code http}, {@code https} or {@code file}); a
     *     missing trailing {@code /} is added
     * @return a provider that reads everything from the mirror
     * @throws IllegalArgumentException if the URL is not absolute http(s) or file
     */
    public DistroProvider withMirror(URI mirror) {
        Builder copy = toBuilder();
        copy.baseUrl = Builder.requireBase(mirror);
        // A mirror replaces the distro's servers, its archives included.
        copy.archiveUrls.clear();
        return copy.build();
    }

    private Builder toBuilder() {
        Builder b = new Builder(name, baseUrl);
        b.archiveUrls.addAll(archiveUrls);
        b.versionsPath = versionsPath;
        b.versionEntry = versionEntry;
        b.versionRegex = versionRegex;
        b.codenames.putAll(codenames);
        b.buildsPath = buildsPath.orElse(null);
        b.buildEntry = buildEntry;
        b.buildRegex = buildRegex;
        b.imagesPath = imagesPath;
        b.filePatterns.addAll(filePatterns);
        b.checksumFiles.addAll(checksumFiles);
        b.archNames.putAll(archNames);
        b.arches.addAll(arches);
        b.format = format;
        b.compression = compression;
        return b;
    }

    /**
     * The distro's name.
     *
     * @return e.g. {@code Fedora}
     */
    public String name() {
        return name;
    }

    /**
     * The base URL all paths are relative to.
     *
     * @return e.g. {@code https://dl.fedoraproject.org/pub/fedora/linux/}, ending with {@code /}
     */
    public URI baseUrl() {
        return baseUrl;
    }

    /**
     * Where the distro moves releases it no longer carries on {@link #baseUrl()}, with the same
     * layout (Fedora's and FreeBSD's archives): searched in order when the base has no image for
     * the request. A mirror ({@link #withMirror(URI)}) has none.
     *
     * @return the archive base URLs, each ending with {@code /}
     */
    public List<URI> archiveUrls() {
        return archiveUrls;
    }

    /**
     * Where the versions are listed.
     *
     * @return a path template relative to the base, ending with {@code /}
     */
    public String versionsPath() {
        return versionsPath;
    }

    /**
     * What a version's entry in the versions listing looks like.
     *
     * @return a pattern template with {@code {version}} or {@code {codename}}
     */
    public String versionEntry() {
        return versionEntry;
    }

    /**
     * What a version looks like when the caller names none.
     *
     * @return a regular expression, e.g. {@code \d+}
     */
    public String versionRegex() {
        return versionRegex;
    }

    /**
     * The directory names of versions that are published under a name (Debian's
     * {@code bookworm} for 12).
     *
     * @return version to name; empty when versions are their own directory names
     */
    public Map<String, String> codenames() {
        return codenames;
    }

    /**
     * Where a version's builds are listed, for distros with a directory per build.
     *
     * @return a path template, or empty when builds are only in file names
     */
    public Optional<String> buildsPath() {
        return buildsPath;
    }

    /**
     * What a build's entry in the builds listing looks like.
     *
     * @return a pattern template with {@code {build}}
     */
    public String buildEntry() {
        return buildEntry;
    }

    /**
     * What a build looks like when the caller names none.
     *
     * @return a regular expression
     */
    public String buildRegex() {
        return buildRegex;
    }

    /**
     * The directory that holds a version's (and build's) images and checksum file.
     *
     * @return a path template relative to the base, ending with {@code /}
     */
    public String imagesPath() {
        return imagesPath;
    }

    /**
     * The image file names, as pattern templates; distros that renamed their images have more
     * than one (Fedora 40 and 41 differ).
     *
     * @return the patterns, any of which may match
     */
    public List<String> filePatterns() {
        return filePatterns;
    }

    /**
     * The checksum files that may sit beside the images, by preference; the first one the images
     * listing shows is read.
     *
     * @return file name templates (may use {@code {file}}); empty when the distro publishes none
     */
    public List<String> checksumFiles() {
        return checksumFiles;
    }

    /**
     * The arch names this distro spells its own way ({@code x86_64} is Ubuntu's {@code amd64}).
     *
     * @return host arch name to distro arch name
     */
    public Map<String, String> archNames() {
        return archNames;
    }

    /**
     * The arches the distro publishes images for (host names, e.g. {@code x86_64}).
     *
     * @return the arches; informative ({@code distro list}), not a filter
     */
    public Set<String> arches() {
        return arches;
    }

    /**
     * The images' format, declared to the gate.
     *
     * @return e.g. {@link DiskFormat#QCOW2}
     */
    public DiskFormat format() {
        return format;
    }

    /**
     * How the published file is compressed.
     *
     * @return the compression
     */
    public Compression compression() {
        return compression;
    }

    /**
     * The distro's own name for an arch.
     *
     * @param arch a host arch name, e.g. {@code x86_64}
     * @return e.g. {@code amd64} for Debian, or {@code arch} itself
     */
    public String distroArch(String arch) {
        return archNames.getOrDefault(arch, arch);
    }

    /**
     * The version a user typed, as the provider's versions are spelled (a codename becomes its
     * number).
     *
     * @param version a version or codename
     * @return the version
     */
    public String normalizeVersion(String version) {
        for (Map.Entry<String, String> e : codenames.entrySet()) {
            if (e.getValue().equalsIgnoreCase(version)) {
                return e.getKey();
            }
        }
        return version;
    }

    /** The version's directory name. */
    String codename(String version) {
        return codenames.getOrDefault(version, version);
    }

    @Override
    public String toString() {
        return name + " at " + baseUrl;
    }

    /** Collects a provider's layout. */
    public static final class Builder {
        private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");

        private final String name;
        private URI baseUrl;
        private final List<URI> archiveUrls = new ArrayList<>();
        private String versionsPath = "";
        private String versionEntry = "{version}/";
        private String versionRegex = "\\d+";
        private final Map<String, String> codenames = new LinkedHashMap<>();
        private String buildsPath;
        private String buildEntry = "{build}/";
        private String buildRegex = "[0-9][0-9.-]*";
        private String imagesPath;
        private final List<String> filePatterns = new ArrayList<>();
        private final List<String> checksumFiles = new ArrayList<>();
        private final Map<String, String> archNames = new LinkedHashMap<>();
        private final Set<String> arches = new LinkedHashSet<>();
        private DiskFormat format = DiskFormat.QCOW2;
        private Compression compression = Compression.NONE;

        private Builder(String name, URI baseUrl) {
            Objects.requireNonNull(name, "name");
            if (!NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("a provider's name is letters, digits, - and _: '" + name + "'");
            }
            this.name = name;
            this.baseUrl = requireBase(baseUrl);
        }

        static URI requireBase(URI url) {
            Objects.requireNonNull(url, "baseUrl");
            String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
            if (!url.isAbsolute() || url.isOpaque() || !Set.of("http", "https", "file").contains(scheme)
                    || url.getRawQuery() != null || url.getRawFragment() != null) {
                throw new IllegalArgumentException("a mirror is an absolute http, https or file URL without query: '"
                        + url + "'");
            }
            String text = url.toString();
            return text.endsWith("/") ? url : URI.create(text + "/");
        }

        /**
         * One more archive: a base URL with the same layout where retired releases live, searched
         * when the base URL has no image for a request.
         *
         * @param url the archive's base URL
         * @return this builder
         */
        public Builder archive(URI url) {
            archiveUrls.add(requireBase(url));
            return this;
        }

        /**
         * Where the versions are listed, and what an entry there looks like.
         *
         * @param path a path template relative to the base ({@code ""} for the base itself),
         *     ending with {@code /}
         * @param entry a pattern template with {@code {version}} or {@code {codename}}, e.g.
         *     {@code {version}-stream/}
         * @param regex what a version looks like, e.g. {@code \d+\.\d+}
         * @return this builder
         */
        public Builder versions(String path, String entry, String regex) {
            this.versionsPath = directory(path, "versions path");
            this.versionEntry = Objects.requireNonNull(entry, "entry");
            this.versionRegex = checkRegex(regex);
            return this;
        }

        /**
         * A version published under a directory name ({@code {codename}} in templates).
         *
         * @param version the version, e.g. {@code 12}
         * @param directoryName its name, e.g. {@code bookworm}
         * @return this builder
         */
        public Builder codename(String version, String directoryName) {
            codenames.put(EntryName.require(version, "version"), EntryName.require(directoryName, "codename"));
            return this;
        }

        /**
         * A directory per build: where a version's builds are listed and what an entry looks like.
         *
         * @param path a path template relative to the base, ending with {@code /}
         * @param entry a pattern template with {@code {build}}, e.g. {@code release-{build}/}
         * @return this builder
         */
        public Builder buildDirectories(String path, String entry) {
            this.buildsPath = directory(path, "builds path");
            this.buildEntry = Objects.requireNonNull(entry, "entry");
            return this;
        }

        /**
         * What a build looks like when the caller names none.
         *
         * @param regex e.g. {@code \d+\.\d+}
         * @return this builder
         */
        public Builder buildRegex(String regex) {
            this.buildRegex = checkRegex(regex);
            return this;
        }

        /**
         * The directory that holds the images (and checksum files).
         *
         * @param path a path template relative to the base, ending with {@code /}
         * @return this builder
         */
        public Builder images(String path) {
            this.imagesPath = directory(path, "images path");
            return this;
        }

        /**
         * One more image file name pattern.
         *
         * @param pattern a pattern template, e.g. {@code debian-{version}-generic-{arch}-{build}\.qcow2}
         * @return this builder
         */
        public Builder file(String pattern) {
            filePatterns.add(Objects.requireNonNull(pattern, "pattern"));
            return this;
        }

        /**
         * One more checksum file that may sit beside the images.
         *
         * @param fileName a file name template, e.g. {@code SHA256SUMS} or {@code {file}.sha256}
         * @return this builder
         */
        public Builder checksumFile(String fileName) {
            checksumFiles.add(Objects.requireNonNull(fileName, "fileName"));
            return this;
        }

        /**
         * The distro's name for an arch.
         *
         * @param hostArch e.g. {@code x86_64}
         * @param distroArch e.g. {@code amd64}
         * @return this builder
         */
        public Builder archName(String hostArch, String distroArch) {
            archNames.put(EntryName.require(hostArch, "arch"), EntryName.require(distroArch, "arch"));
            return this;
        }

        /**
         * The arches the distro publishes images for.
         *
         * @param hostArches host arch names
         * @return this builder
         */
        public Builder arches(String... hostArches) {
            for (String arch : hostArches) {
                arches.add(EntryName.require(arch, "arch"));
            }
            return this;
        }

        /**
         * The images' format (default qcow2).
         *
         * @param value the format declared to the gate
         * @return this builder
         */
        public Builder format(DiskFormat value) {
            this.format = Objects.requireNonNull(value, "format");
            return this;
        }

        /**
         * How the published files are compressed (default none).
         *
         * @param value the compression
         * @return this builder
         */
        public Builder compression(Compression value) {
            this.compression = Objects.requireNonNull(value, "compression");
            return this;
        }

        /**
         * The provider.
         *
         * @return the provider
         * @throws IllegalStateException without an images path or a file pattern, or when a
         *     pattern does not compile
         */
        public DistroProvider build() {
            if (imagesPath == null || filePatterns.isEmpty()) {
                throw new IllegalStateException("provider " + name + " needs an images path and a file pattern");
            }
            Map<String, String> regexes = Map.of("version", versionRegex, "build", buildRegex, "arch", "[^/]+",
                    "codename", "[^/]+");
            Set<String> pathNames = buildsPath == null ? Set.of("version", "arch", "codename")
                    : Set.of("version", "arch", "codename", "build");
            requirePlaceholders("versions path", versionsPath, Set.of("arch"));
            if (buildsPath != null) {
                requirePlaceholders("builds path", buildsPath, Set.of("version", "arch", "codename"));
            }
            requirePlaceholders("images path", imagesPath, pathNames);
            Set<String> checksumNames = Set.of("version", "arch", "codename", "build", "file");
            checksumFiles.forEach(file -> requirePlaceholders("checksum file", file, checksumNames));
            try {
                Template.pattern(versionEntry, regexes);
                Template.pattern(buildEntry, regexes);
                filePatterns.forEach(p -> Template.pattern(p, regexes));
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException("provider " + name + ": " + e.getMessage(), e);
            }
            return new DistroProvider(this);
        }

        private void requirePlaceholders(String what, String template, Set<String> allowed) {
            for (String used : Template.placeholders(template)) {
                if (!allowed.contains(used)) {
                    throw new IllegalStateException("provider " + name + ": the " + what + " '" + template + "' uses {"
                            + used + "}, which is not known there (known: " + String.join(", ", new TreeSet<>(
                            allowed)) + ")");
                }
            }
        }

        private static String directory(String path, String what) {
            Objects.requireNonNull(path, what);
            if (!path.isEmpty() && !path.endsWith("/") || path.startsWith("/") || path.contains("..")) {
                throw new IllegalArgumentException(what + " is relative and ends with /: '" + path + "'");
            }
            return path;
        }

        private static String checkRegex(String regex) {
            Objects.requireNonNull(regex, "regex");
            try {
                Pattern.compile(regex);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("not a regular expression: " + regex, e);
            }
            return regex;
        }
    }
}
