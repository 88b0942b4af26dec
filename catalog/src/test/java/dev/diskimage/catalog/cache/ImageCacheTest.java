package dev.diskimage.catalog.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diskimage.core.DiskFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageCacheTest {
    @TempDir
    Path temp;

    private TestServer server;

    @BeforeEach
    void start() throws Exception {
        server = new TestServer();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private CacheRequest request(String path, String fileName) {
        return CacheRequest.builder(server.uri(path), fileName).gate(TestImages.GATE, Optional.empty()).build();
    }

    @Test
    void downloadsOnceAndReusesTheEntry() throws Exception {
        byte[] image = TestImages.raw(300_000, 1);
        server.serve("/images/a.img", image);
        ImageCache cache = ImageCache.open(temp.resolve("cache"));

        try (CachedImage first = cache.fetch(request("/images/a.img", "a.img"))) {
            assertThat(first.downloaded()).isTrue();
            assertThat(first.format()).isEqualTo(DiskFormat.RAW);
            assertThat(Files.readAllBytes(first.path())).isEqualTo(image);
            assertThat(first.checksum()).contains(TestImages.sha256(image));
        }
        try (CachedImage second = cache.fetch(request("/images/a.img", "a.img"))) {
            assertThat(second.downloaded()).isFalse();
            assertThat(Files.readAllBytes(second.path())).isEqualTo(image);
        }
        assertThat(server.gets("/images/a.img")).isEqualTo(1);
        assertThat(cache.lookup(server.uri("/images/a.img"), "a.img")).isPresent();
        assertThat(cache.list()).hasSize(1);
    }
}
