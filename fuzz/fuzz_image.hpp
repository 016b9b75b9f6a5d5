// Fuzz target image (run by fuzz/ae_fuzz.cpp): ae::io::read_image (stb_image: PNG, BMP; JPEG is refused), then to_column.
// Input: the file as it is.
//
// The pixel cap is 4 MiB instead of read_image's default 256 MiB: an 8 KiB input can declare
// and decode a picture of hundreds of megabytes (a legitimate, bounded answer), which takes
// longer than libFuzzer's timeout under ASan. The cap check itself is the same code either way.
#pragma once
#include "ae/io/image.hpp"
#include "fuzz_support.hpp"

inline constexpr std::size_t image_max_pixel_bytes = std::size_t(1) << 22;

namespace ae_fuzz {

inline int fuzz_image(const std::uint8_t* data, std::size_t size) {
    const std::string& path = ae_fuzz::scratch_path("image");
    ae_fuzz::write_scratch(path, data, size);
    ae_fuzz::expect_ae_errors_only([&] {
        const ae::io::Image img = ae::io::read_image(path, image_max_pixel_bytes);
        if (img.pixels.size() != std::size_t(img.width) * std::size_t(img.height) * std::size_t(img.channels))
            std::abort();
        const auto grey = ae::io::to_column<float>(img, 1);
        if (grey.size() != ae::Index(img.width) * img.height) std::abort();
    });
    return 0;
}

}  // namespace ae_fuzz
