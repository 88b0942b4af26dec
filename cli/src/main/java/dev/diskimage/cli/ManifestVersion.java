package dev.diskimage.cli;

import picocli.CommandLine.IVersionProvider;

/**
 * {@code --version} for every diskimage command: the version Maven wrote into the jar manifest
 * ({@code Implementation-Version}), so that the number printed is the one released and never a
 * string someone forgot to update. Running from a class directory (an IDE, the unit tests) has no
 * manifest and says so instead of guessing.
 */
public final class ManifestVersion implements IVersionProvider {
    static final String PRODUCT = "diskimage";

    /** Picocli creates the provider; the version is read when asked for. */
    public ManifestVersion() {
    }

    /** One line: {@code diskimage VERSION}, or the development-build text without a manifest. */
    @Override
    public String[] getVersion() {
        return new String[] {text(ManifestVersion.class.getPackage().getImplementationVersion())};
    }

    /** The version line for a manifest's {@code Implementation-Version}, which may be absent (null). */
    static String text(String implementationVersion) {
        if (implementationVersion == null || implementationVersion.isBlank()) {
            return PRODUCT + " (development build)";
        }
        return PRODUCT + " " + implementationVersion;
    }
}
