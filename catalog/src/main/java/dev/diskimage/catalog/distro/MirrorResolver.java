package dev.diskimage.catalog.distro;

import dev.diskimage.catalog.cache.Checksum;
import dev.diskimage.core.UntrustedText;
import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Walks a provider's layout on its mirror to the one image file a request means: the newest
 * (or the named) version, build and file for an arch, and the checksum the distro publishes for
 * it. When the caller names no version and the newest has no image for the arch (a release
 * still being composed, an arch not built yet), the next older versions are tried, up to
 * {@link #VERSIONS_TRIED}; the same for builds in their own directories.
 */
final class MirrorResolver {
    /** How many versions (or build directories) are tried, newest first, when none is named. */
    static final int VERSIONS_TRIED = 3;
    /** How many listing entries an error message shows. */
    private static final int SHOWN = 20;

    private static final Logger LOG = LoggerFactory.getLogger(MirrorResolver.class);

    /** The image a request resolved to. */
    record Release(DistroProvider provider, String version, Optional<String> build, String arch, URI imageUrl,
            String fileName, URI imagesUrl, List<String> imagesListing) {
    }

    private final MirrorReader reader;

    MirrorResolver(MirrorReader reader) {
        this.reader = reader;
    }

    /**
     * Finds the image.
     *
     * @param provider the distro (already moved to a mirror if asked)
     * @param version the version to take, or empty for the newest
     * @param build the build to take, or empty for the newest
     * @param arch the host arch name
     * @throws DistroImageNotFoundException when no version, build or file matches
     * @throws MirrorException when a listing cannot be read
     */
    Release resolve(DistroProvider provider, Optional<String> version, Optional<String> build, String arch) {
        String distroArch = EntryName.require(provider.distroArch(EntryName.require(arch, "arch")), "arch");
        Optional<String> wantedVersion = version.map(v -> EntryName.require(provider.normalizeVersion(v), "version"));
        build.ifPresent(b -> EntryName.require(b, "build"));
        Map<String, String> regexes = new HashMap<>();
        regexes.put("version", wantedVersion.map(Pattern::quote).orElse(provider.versionRegex()));
        regexes.put("codename", wantedVersion.map(v -> Pattern.quote(provider.codename(v))).orElse(codenames(provider)));
        regexes.put("build", build.map(Pattern::quote).orElse(provider.buildRegex()));
        regexes.put("arch", Pattern.quote(distroArch));
        Map<String, String> values = new HashMap<>(Map.of("arch", distroArch));

        URI versionsUrl = provider.baseUrl().resolve(Template.expand(provider.versionsPath(), values));
        List<String> entries = listing(versionsUrl);
        Pattern versionPattern = Template.pattern(provider.versionEntry(), regexes);
        List<String> versions = new ArrayList<>();
        for (String entry : entries) {
            Matcher m = versionPattern.matcher(entry);
            if (m.matches()) {
                String found = Template.group(m, "version");
                String named = found.isEmpty() ? provider.normalizeVersion(Template.group(m, "codename")) : found;
                if (EntryName.isSafe(named) && !versions.contains(named)) {
                    versions.add(named);
                }
            }
        }
        if (versions.isEmpty()) {
            throw notFound(versionsUrl, "no " + provider.name() + " version"
                    + wantedVersion.map(v -> " " + v).orElse("") + " (entries matching " + versionPattern + ")", entries);
        }
        versions.sort(VersionOrder.INSTANCE.reversed());
        List<DistroImageNotFoundException> misses = new ArrayList<>();
        for (String candidate : versions.subList(0, Math.min(VERSIONS_TRIED, versions.size()))) {
            try {
                return resolveVersion(provider, candidate, build, distroArch, arch, regexes, values);
            } catch (DistroImageNotFoundException e) {
                LOG.debug("{} {}: {}", provider.name(), candidate, e.getMessage());
                misses.add(e);
            }
        }
        throw tried(misses, "versions");
    }

    private Release resolveVersion(DistroProvider provider, String version, Optional<String> build, String distroArch,
            String arch, Map<String, String> regexes, Map<String, String> baseValues) {
        Map<String, String> values = new HashMap<>(baseValues);
        values.put("version", version);
        values.put("codename", provider.codename(version));
        Map<String, String> versionRegexes = new HashMap<>(regexes);
        versionRegexes.put("version", Pattern.quote(version));
        versionRegexes.put("codename", Pattern.quote(provider.codename(version)));
        if (provider.buildsPath().isEmpty()) {
            return resolveFile(provider, version, Optional.empty(), build, arch, versionRegexes, values);
        }
        URI buildsUrl = provider.baseUrl().resolve(Template.expand(provider.buildsPath().get(), values));
        List<String> entries = listing(buildsUrl);
        Pattern buildPattern = Template.pattern(provider.buildEntry(), versionRegexes);
        List<String> builds = entries.stream().map(buildPattern::matcher).filter(Matcher::matches)
                .map(m -> Template.group(m, "build")).filter(EntryName::isSafe).distinct()
                .sorted(VersionOrder.INSTANCE.reversed()).collect(Collectors.toList());
        if (builds.isEmpty()) {
            throw notFound(buildsUrl, "no " + provider.name() + " " + version + " build"
                    + build.map(b -> " " + b).orElse("") + " (entries matching " + buildPattern + ")", entries);
        }
        List<DistroImageNotFoundException> misses = new ArrayList<>();
        for (String candidate : builds.subList(0, Math.min(VERSIONS_TRIED, builds.size()))) {
            try {
                return resolveFile(provider, version, Optional.of(candidate), build, arch, versionRegexes, values);
            } catch (DistroImageNotFoundException e) {
                misses.add(e);
            }
        }
        throw tried(misses, "builds");
    }

    private Release resolveFile(DistroProvider provider, String version, Optional<String> directoryBuild,
            Optional<String> build, String arch, Map<String, String> regexes, Map<String, String> baseValues) {
        Map<String, String> values = new HashMap<>(baseValues);
        Map<String, String> fileRegexes = new HashMap<>(regexes);
        directoryBuild.ifPresent(b -> {
            values.put("build", b);
            fileRegexes.put("build", Pattern.quote(b));
        });
        URI imagesUrl = provider.baseUrl().resolve(Template.expand(provider.imagesPath(), values));
        List<String> entries = listing(imagesUrl);
        record Match(String name, String build) {
        }
        List<Match> matches = new ArrayList<>();
        List<Pattern> patterns = provider.filePatterns().stream().map(p -> Template.pattern(p, fileRegexes)).toList();
        for (String entry : entries) {
            if (entry.endsWith("/")) {
                continue;
            }
            for (Pattern pattern : patterns) {
                Matcher m = pattern.matcher(entry);
                if (m.matches()) {
                    String found = Template.group(m, "build");
                    String fileBuild = found.isEmpty() ? directoryBuild.orElse("") : found;
                    if (build.isEmpty() || build.get().equals(fileBuild)) {
                        matches.add(new Match(entry, fileBuild));
                    }
                    break;
                }
            }
        }
        Optional<Match> best = matches.stream().max(Comparator.comparing(Match::build, VersionOrder.INSTANCE)
                .thenComparing(Match::name, VersionOrder.INSTANCE));
        if (best.isEmpty()) {
            throw notFound(imagesUrl, "no " + provider.name() + " " + version + build.map(b -> " build " + b).orElse("")
                    + " image for " + arch + " (files matching " + patterns.stream().map(Pattern::pattern)
                    .collect(Collectors.joining(" or ")) + ")", entries);
        }
        Match match = best.get();
        return new Release(provider, version, match.build().isEmpty() ? Optional.empty() : Optional.of(match.build()),
                arch, imagesUrl.resolve(match.name()), match.name(), imagesUrl, entries);
    }

    /**
     * The checksum the distro publishes for the release's file: from the first of the
     * provider's checksum files that the images listing shows and that lists the file.
     *
     * @return the checksum, or empty when none is published
     */
    Optional<Checksum> publishedChecksum(Release release) {
        Map<String, String> values = new HashMap<>();
        values.put("version", release.version());
        values.put("codename", release.provider().codename(release.version()));
        values.put("arch", release.provider().distroArch(release.arch()));
        values.put("file", release.fileName());
        release.build().ifPresent(b -> values.put("build", b));
        for (String template : release.provider().checksumFiles()) {
            String name;
            try {
                name = Template.expand(template, values);
            } catch (IllegalArgumentException e) {
                // e.g. {build} for a release without one
                continue;
            }
            if (!release.imagesListing().contains(name)) {
                continue;
            }
            URI url = release.imagesUrl().resolve(name);
            Optional<String> text = reader.read(url, ChecksumFile.MAX_BYTES);
            if (text.isEmpty()) {
                continue;
            }
            Optional<Checksum> checksum = ChecksumFile.parse(name, text.get()).forFile(release.fileName());
            if (checksum.isPresent()) {
                LOG.debug("{}: {} from {}", release.fileName(), checksum.get(), url);
                return checksum;
            }
            LOG.warn("{} does not list {}", url, release.fileName());
        }
        return Optional.empty();
    }

    private List<String> listing(URI url) {
        return reader.list(url).orElseThrow(() -> new DistroImageNotFoundException(url, "no listing at " + url
                + " (404)"));
    }

    private static String codenames(DistroProvider provider) {
        if (provider.codenames().isEmpty()) {
            return "[^/]+";
        }
        return provider.codenames().values().stream().map(Pattern::quote).collect(Collectors.joining("|"));
    }

    private static DistroImageNotFoundException notFound(URI url, String what, List<String> entries) {
        String shown = entries.stream().limit(SHOWN).map(e -> UntrustedText.sanitize(e, 120))
                .collect(Collectors.joining(", "));
        String found = entries.isEmpty() ? "the listing is empty"
                : "found: " + shown + (entries.size() > SHOWN ? ", ... (" + entries.size() + " entries)" : "");
        return new DistroImageNotFoundException(url, what + " at " + url + "; " + found);
    }

    private static DistroImageNotFoundException tried(List<DistroImageNotFoundException> misses, String what) {
        DistroImageNotFoundException first = misses.get(0);
        if (misses.size() == 1) {
            return first;
        }
        DistroImageNotFoundException error = new DistroImageNotFoundException(first.listing(), first.getMessage()
                + " (also tried the " + (misses.size() - 1) + " next older " + what + ")");
        misses.subList(1, misses.size()).forEach(error::addSuppressed);
        return error;
    }
}
