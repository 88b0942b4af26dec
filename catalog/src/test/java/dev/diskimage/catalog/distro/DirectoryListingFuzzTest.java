package dev.diskimage.catalog.distro;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Any page gives entries that are plain names directly below the listing, each once. */
class DirectoryListingFuzzTest {
    private static final URI LISTING = URI.create("http://mirror.example/pub/releases/");

    @ShortFuzzTest
    void givesOnlyPlainChildNames(byte[] data) {
        List<String> entries = DirectoryListing.entries(LISTING, new String(data, StandardCharsets.UTF_8));
        assertThat(entries).doesNotHaveDuplicates().hasSizeLessThanOrEqualTo(DirectoryListing.MAX_ENTRIES);
        for (String entry : entries) {
            String name = entry.endsWith("/") ? entry.substring(0, entry.length() - 1) : entry;
            assertThat(EntryName.isSafe(name)).as(entry).isTrue();
            assertThat(LISTING.resolve(entry).toString()).startsWith(LISTING.toString());
        }
    }
}
