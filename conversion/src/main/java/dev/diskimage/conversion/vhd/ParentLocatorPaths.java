package dev.diskimage.conversion.vhd;

import dev.diskimage.core.UntrustedText;
import dev.diskimage.core.vhd.VhdParentLocator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Turns the parent locators of a differencing disk into a file to open, and a parent's path into
 * the locator texts to store. Reading is the safety-critical half: a locator is a path an image
 * chose, so it is followed only relative to the child's directory and only when it stays there
 * (after {@code ..} and symbolic links are resolved), unless the caller allows otherwise.
 */
final class ParentLocatorPaths {
    private static final String FILE_URL = "file://";

    private ParentLocatorPaths() {
    }

    /** What became of one locator: the file found (a real path), or why it was not used. */
    record Attempt(ParentLocatorPathsOutcome outcome, Path path, String why) {
    }

    /** The kinds of {@link Attempt}. */
    enum ParentLocatorPathsOutcome {
        FOUND, MISSING, REFUSED, UNUSABLE
    }

    /**
     * The parent of {@code child}: the file the first usable locator names (relative ones tried
     * first), as a real path.
     *
     * @param child the differencing disk, open
     * @param options whether locators may leave the child's directory
     * @return the parent's real path
     * @throws VhdChainException {@code OUTSIDE_DIRECTORY} when only refused locators remain,
     *     {@code MISSING_PARENT} when none names an existing file
     */
    static Path resolve(VhdFile child, VhdChainOptions options) {
        Path directory;
        try {
            directory = child.path().toAbsolutePath().getParent().toRealPath();
        } catch (IOException e) {
            throw new dev.diskimage.core.ImageIoException("could not resolve the directory of", child.path(), e);
        }
        List<VhdFile.ParentLocator> locators = new ArrayList<>(child.parentLocators());
        // Relative locators first: they survive copying the chain elsewhere.
        locators.sort(Comparator.comparingInt(l -> isAbsolutePlatform(l.platform()) ? 1 : 0));
        List<String> refused = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (VhdFile.ParentLocator locator : locators) {
            Attempt attempt = follow(directory, locator, options.allowOutsideDirectory());
            String shown = locator.platform().strip() + " locator " + UntrustedText.sanitize(locator.path());
            switch (attempt.outcome()) {
                case FOUND:
                    return attempt.path();
                case REFUSED:
                    refused.add(shown + " (" + attempt.why() + ")");
                    break;
                case MISSING:
                    missing.add(shown);
                    break;
                default:
                    break;
            }
        }
        if (!missing.isEmpty()) {
            throw new VhdChainException(child.path(), VhdChainException.Reason.MISSING_PARENT,
                    "its parent was not found: " + String.join(", ", missing) + " names no file"
                            + (refused.isEmpty() ? "" : "; refused: " + String.join(", ", refused)));
        }
        if (!refused.isEmpty()) {
            throw new VhdChainException(child.path(), VhdChainException.Reason.OUTSIDE_DIRECTORY,
                    "its parent locators point outside its directory: " + String.join(", ", refused));
        }
        throw new VhdChainException(child.path(), VhdChainException.Reason.MISSING_PARENT,
                "has no parent locator this program can follow (parent name "
                        + UntrustedText.sanitize(child.parentName().orElse("")) + ")");
    }

    /**
     * Follows one locator from {@code directory} (a real path).
     *
     * @return FOUND with the parent's real path, or why not
     */
    static Attempt follow(Path directory, VhdFile.ParentLocator locator, boolean allowOutside) {
        String text = toSlashes(locator.platform(), locator.path());
        if (text == null || text.isEmpty() || text.indexOf('\0') >= 0) {
            return new Attempt(ParentLocatorPathsOutcome.UNUSABLE, null, "not a path");
        }
        Path named;
        try {
            named = Path.of(text);
        } catch (InvalidPathException e) {
            return new Attempt(ParentLocatorPathsOutcome.UNUSABLE, null, "not a path");
        }
        if (named.isAbsolute() && !allowOutside) {
            return new Attempt(ParentLocatorPathsOutcome.REFUSED, null, "absolute path");
        }
        Path candidate = directory.resolve(named).normalize();
        if (!allowOutside && !candidate.startsWith(directory)) {
            return new Attempt(ParentLocatorPathsOutcome.REFUSED, null, "climbs out of the directory");
        }
        if (!Files.exists(candidate, LinkOption.NOFOLLOW_LINKS)) {
            return new Attempt(ParentLocatorPathsOutcome.MISSING, null, "no such file");
        }
        Path real;
        try {
            real = candidate.toRealPath();
        } catch (IOException e) {
            return new Attempt(ParentLocatorPathsOutcome.MISSING, null, "dangling link");
        }
        if (!allowOutside && !real.startsWith(directory)) {
            return new Attempt(ParentLocatorPathsOutcome.REFUSED, null, "a symbolic link leaving the directory");
        }
        if (!Files.isRegularFile(real)) {
            return new Attempt(ParentLocatorPathsOutcome.MISSING, null, "not a regular file");
        }
        return new Attempt(ParentLocatorPathsOutcome.FOUND, real, null);
    }

    /**
     * A locator's path with {@code /} separators: Windows platforms use {@code \}, {@code MacX}
     * is a {@code file://} URL. Null when the platform holds no path this program reads.
     */
    static String toSlashes(String platform, String stored) {
        switch (platform) {
            case "W2ru":
            case "W2ku":
            case "Wi2r":
            case "Wi2k":
                String path = stored.replace('\\', '/');
                // A drive letter ("C:/...") names another machine's disk: treat as absolute.
                if (path.length() >= 2 && path.charAt(1) == ':') {
                    return "/" + path;
                }
                return path;
            case "MacX":
                return stored.regionMatches(true, 0, FILE_URL, 0, FILE_URL.length())
                        ? stored.substring(FILE_URL.length()) : null;
            default:
                return null;
        }
    }

    private static boolean isAbsolutePlatform(String platform) {
        return platform.toLowerCase(Locale.ROOT).endsWith("k");
    }

    /**
     * The text a locator of {@code platformCode} stores for a parent at {@code parent}, seen
     * from a child in {@code childDirectory}: absolute for {@code W2ku}, relative ({@code .\name})
     * for {@code W2ru}, a relative {@code file://./name} URL for {@code MacX}.
     *
     * @return the text, or null for a platform this program does not write
     */
    static String textFor(long platformCode, Path childDirectory, Path parent) {
        Path absoluteParent = parent.toAbsolutePath().normalize();
        String relative = childDirectory.toAbsolutePath().normalize().relativize(absoluteParent).toString();
        if (platformCode == VhdParentLocator.W2KU) {
            return absoluteParent.toString();
        }
        if (platformCode == VhdParentLocator.W2RU) {
            return ".\\" + relative.replace('/', '\\');
        }
        if (platformCode == VhdParentLocator.MACX) {
            return FILE_URL + "./" + relative;
        }
        return null;
    }
}
