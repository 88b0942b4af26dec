package dev.diskimage.catalog.templates;

import dev.diskimage.catalog.cache.ImageCache;
import dev.diskimage.core.QemuImg;
import java.nio.file.Path;

/**
 * A second JVM's side of the cross-process test: gets one template version into a store and
 * prints whether this process created it. Arguments: repository, store, cache, reference, and
 * optionally the qemu-img to convert with.
 */
public final class StoreGetMain {
    private StoreGetMain() {
    }

    public static void main(String[] args) {
        TemplateStore.Builder store = TemplateStore.builder(Path.of(args[1]))
                .cache(ImageCache.open(Path.of(args[2])))
                .gate(TemplateStoreTest.MAGIC_GATE);
        if (args.length > 4) {
            store.qemuImg(QemuImg.at(Path.of(args[4])));
        }
        StoredTemplate stored = store.build().get(TemplateRepository.fromUrl(args[0]).version(args[3]));
        System.out.println("created=" + stored.created() + " path=" + stored.path());
    }
}
