// libFuzzer target: ae::io::read_image (stb_image: PNG, JPEG, BMP), then to_column.
// Input: the file as it is.
#include "ae/io/image.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string& path = ae_fuzz::scratch_path("image");
    ae_fuzz::write_scratch(path, data, size);
    ae_fuzz::expect_ae_errors_only([&] {
        const ae::io::Image img = ae::io::read_image(path);
        if (img.pixels.size() != std::size_t(img.width) * std::size_t(img.height) * std::size_t(img.channels))
            std::abort();
        const auto grey = ae::io::to_column<float>(img, 1);
        if (grey.size() != ae::Index(img.width) * img.height) std::abort();
    });
    return 0;
}
