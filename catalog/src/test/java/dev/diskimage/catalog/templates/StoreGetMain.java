package dev.diskimage.catalog.templates;

import dev.diskimage.catalog.cache.ImageCache;
import java.nio.file.Path;

/**
 * A second JVM's side of the cross-process test: gets one template version into a store and
 * prints whether this process created it. Arguments: repository, store, cache, reference.
 */
public final class StoreGetMain {
    private StoreGetMain() {
    }

    public static void main(String[] args) {
        StoredTemplate stored = TemplateStore.builder(Path.of(args[1]))
                .cache(ImageCache.open(Path.of(args[2])))
                .gate(TemplateStoreTest.MAGIC_GATE)
                .build()
                .get(TemplateRepository.fromUrl(args[0]).version(args[3]));
        System.out.println("created=" + stored.created() + " path=" + stored.path());
    }
}
