// Writes the fuzz targets' seed corpora: small valid inputs of every kind each target reads,
// so fuzzing starts from deep inside the formats rather than from random bytes.
//   ae_fuzz --make-seeds OUT_DIR   → OUT_DIR/{idx,model_file,csv,image,checkpoint,safetensors}/<name>
// Seeds for fuzz_idx and fuzz_csv begin with the mode byte those targets read first.
#pragma once
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "ae/ae.hpp"
#include "fuzz_models.hpp"

namespace ae_fuzz::seeds_detail {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

inline void put(const fs::path& file, const Bytes& bytes) {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    if (!out) throw std::runtime_error("make_seeds: cannot write " + file.string());
}

inline Bytes with_mode(std::uint8_t mode, const Bytes& body) {
    Bytes out{mode};
    out.insert(out.end(), body.begin(), body.end());
    return out;
}

inline Bytes file_bytes(const fs::path& p) { return ae::read_file_bytes(p.string()); }

inline void idx_seeds(const fs::path& dir, const fs::path& tmp) {
    struct Case {
        const char* name;
        std::vector<std::size_t> dims;
    };
    for (const Case& c : {Case{"labels", {5}}, Case{"images", {2, 3, 4}}, Case{"rank4", {1, 2, 2, 2}}}) {
        ae::data::IdxArray a;
        a.dims = c.dims;
        a.data.resize(a.size());
        for (std::size_t i = 0; i < a.data.size(); ++i) a.data[i] = std::uint8_t(i * 37);
        const fs::path f = tmp / "seed.idx";
        ae::data::write_idx(f.string(), a);
        const Bytes raw = file_bytes(f);
        put(dir / (std::string(c.name) + "_raw"), with_mode(0, raw));       // read as it is
        put(dir / (std::string(c.name) + "_to_gzip"), with_mode(1, raw));   // gzipped by the target
        // A real gzip file as well, for the mode that passes the bytes through untouched.
        const fs::path gz = tmp / "seed.idx.gz";
        gzFile g = gzopen(gz.string().c_str(), "wb");
        if (!g || gzwrite(g, raw.data(), unsigned(raw.size())) != int(raw.size()) || gzclose(g) != Z_OK)
            throw std::runtime_error("make_seeds: gzip failed");
        put(dir / (std::string(c.name) + "_gz"), with_mode(0, file_bytes(gz)));
    }
}

template <class S>
void save_seed(const fs::path& dir, const fs::path& tmp, const std::string& name, ae::Layer<S>& model) {
    const fs::path f = tmp / "seed.aem";
    ae::save(model, f.string());
    put(dir / name, file_bytes(f));
}

inline void model_seeds(const fs::path& dir, const fs::path& tmp) {
    using namespace ae;
    save_seed(dir, tmp, "vanilla", *recipes::vanilla<float>(12, {6}, 3).autoencoder);
    save_seed(dir, tmp, "vanilla_double", *recipes::vanilla<double>(6, {4}, 2).autoencoder);
    save_seed(dir, tmp, "sparse", *recipes::sparse<float>(8, {4}, 2, 1e-3).autoencoder);
    save_seed(dir, tmp, "tied", *recipes::tied<float>(10, {5}, 3).autoencoder);
    save_seed(dir, tmp, "contractive", *recipes::contractive<float>(8, {4}, 2, 1e-3).autoencoder);
    save_seed(dir, tmp, "variational", *recipes::variational<float>(8, {4}, 2).autoencoder);
    save_seed(dir, tmp, "convolutional", *recipes::convolutional<float>(Shape{12, 12, 1}, {2, 2, 2}, Shape{2, 2, 2}).autoencoder);
    save_seed(dir, tmp, "lstm", *recipes::recurrent<float>(3, 2, 3, 2).autoencoder);
    {
        std::vector<LayerPtr<float>> layers{std::make_shared<GRU<float>>(3, true), std::make_shared<GRU<float>>(2)};
        Sequential<float> gru(Shape{3, 2}, layers);
        save_seed(dir, tmp, "gru", gru);
    }
    {
        // The remaining layer types, in one small image model.
        std::vector<LayerPtr<float>> layers{
            std::make_shared<GaussianNoise<float>>(0.1),
            std::make_shared<Conv2D<float>>(2, 3, 1, Padding::same, Activation::relu),
            std::make_shared<MaxPool2D<float>>(2),
            std::make_shared<UpSampling2D<float>>(2),
            std::make_shared<Conv2DTranspose<float>>(1, 3, 1, Padding::same),
            std::make_shared<Flatten<float>>(),
            std::make_shared<Dropout<float>>(0.2),
            std::make_shared<Dense<float>>(4, Activation::tanh),
            std::make_shared<Reshape<float>>(Shape{2, 2}),
            std::make_shared<Flatten<float>>(),
            std::make_shared<ActivationLayer<float>>(Activation::sigmoid),
        };
        Sequential<float> mix(Shape{4, 4, 1}, layers);
        save_seed(dir, tmp, "layer_mix", mix);
    }
}

// The checkpoint and safetensors seeds come from fuzz_models.hpp, the fuzz targets' own models.
inline std::shared_ptr<ae::Sequential<float>> ckpt_vanilla(std::shared_ptr<ae::Optimizer<float>> optimizer = nullptr) {
    auto model = ae_fuzz::vanilla_model<float>();  // compiled with Adam
    if (optimizer) model->compile(optimizer, std::make_shared<ae::BinaryCrossEntropy<float>>());
    return model;
}

// Tiny data in [0, 1]: 12 features × n samples.
template <class S>
ae::Matrix<S> seed_data(ae::Index n, int salt) {
    ae::Matrix<S> x(12, n);
    for (ae::Index j = 0; j < n; ++j)
        for (ae::Index i = 0; i < 12; ++i) x(i, j) = S((i * 7 + j * 13 + salt) % 17) / S(16);
    return x;
}

// Train for `epochs` epochs with a ModelCheckpoint and keep the last checkpoint as a seed.
template <class S>
void checkpoint_seed(const fs::path& dir, const fs::path& tmp, const std::string& name, ae::Sequential<S>& model,
                     ae::FitOptions<S> options, ae::Index samples) {
    const fs::path f = tmp / "seed.aec";
    const ae::Matrix<S> x = seed_data<S>(samples, 0);
    options.verbose = 0;
    model.fit(x, x, options, {std::make_shared<ae::ModelCheckpoint<S>>(f.string())});
    put(dir / name, file_bytes(f));
}

inline void checkpoint_seeds(const fs::path& dir, const fs::path& tmp) {
    using namespace ae;
    // 20 samples in batches of 8: what fuzz_checkpoint resumes with for these seeds.
    checkpoint_seed(dir, tmp, "vanilla_adam_1", *ckpt_vanilla(), {.epochs = 1, .batch_size = 8, .seed = 1}, 20);
    checkpoint_seed(dir, tmp, "vanilla_adam_2", *ckpt_vanilla(), {.epochs = 2, .batch_size = 8, .seed = 2}, 20);
    checkpoint_seed(dir, tmp, "noisy_adam_2", *ae_fuzz::noisy_model(), {.epochs = 2, .batch_size = 8, .seed = 3}, 20);
    {
        // A validation set adds a val_loss series to the History.
        const Matrix<float> val = seed_data<float>(6, 5);
        checkpoint_seed(dir, tmp, "vanilla_adam_val", *ckpt_vanilla(),
                        {.epochs = 2, .batch_size = 8, .seed = 4, .validation_data = {val, val}}, 20);
    }
    checkpoint_seed(dir, tmp, "vanilla_sgd_momentum", *ckpt_vanilla(std::make_shared<SGD<float>>(0.05, 0.9, true)),
                    {.epochs = 1, .batch_size = 5, .seed = 5}, 10);
    {
        auto model = recipes::vanilla<double>(12, {6}, 3).autoencoder;
        checkpoint_seed(dir, tmp, "vanilla_double", *model, {.epochs = 1, .batch_size = 4, .seed = 6}, 8);
    }
}

inline void safetensors_seeds(const fs::path& dir, const fs::path& tmp) {
    using namespace ae;
    const fs::path f = tmp / "seed.safetensors";
    auto seed = [&](const std::string& name, auto& model, const io::SafetensorsOptions& options = {}) {
        io::save_safetensors(model, f.string(), options);
        put(dir / name, file_bytes(f));
    };
    io::SafetensorsOptions fused;
    fused.naming.activations_as_modules = false;
    seed("vanilla", *ae_fuzz::vanilla_model<float>());
    seed("vanilla_fused_names", *ae_fuzz::vanilla_model<float>(), fused);
    seed("vanilla_double", *ae_fuzz::vanilla_model<double>());
    seed("noisy", *ae_fuzz::noisy_model());
    seed("lstm", *recipes::recurrent<float>(3, 2, 3, 2).autoencoder);
    seed("gru", *ae_fuzz::gru_model());
    seed("convolutional", *recipes::convolutional<float>(Shape{12, 12, 1}, {2, 2, 2}, Shape{2, 2, 2}).autoencoder);
    seed("conv_transpose", *ae_fuzz::conv_transpose_model());
    // Hand-written: metadata only, and one F64 tensor next to an F32 one.
    io::Safetensors mixed;
    mixed.metadata = {{"format", "pt"}, {"note", "\"quoted\" \u00e9"}};
    mixed.tensors.push_back({"a.weight", "F32", {2, 3}, {1, 2, 3, 4, 5, 6}});
    mixed.tensors.push_back({"a.bias", "F64", {2}, {0.5, -0.5}});
    put(dir / "mixed_dtypes", io::safetensors_bytes(mixed));
    io::Safetensors empty;
    empty.metadata = {{"format", "pt"}};
    put(dir / "metadata_only", io::safetensors_bytes(empty));
}

inline void csv_seeds(const fs::path& dir) {
    auto text = [](const std::string& s) { return Bytes(s.begin(), s.end()); };
    put(dir / "rows", with_mode(0, text("1,2,3\n4,5,6\n")));
    put(dir / "columns_header", with_mode(3, text("a,b\r\n0.5,-1e3\r\n\r\n+2, 7.25\r\n")));
    put(dir / "one", with_mode(1, text("42")));
}

inline void image_seeds(const fs::path& dir, const fs::path& tmp) {
    for (int c = 1; c <= 4; ++c) {
        ae::io::Image img(5, 3, c);
        for (std::size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = std::uint8_t(i * 29);
        const fs::path f = tmp / "seed.png";
        ae::io::write_png(f.string(), img);
        put(dir / ("png_c" + std::to_string(c)), file_bytes(f));
    }
    // stb writes BMP and JPEG too: the reader decodes BMP and refuses JPEG.
    ae::io::Image img(4, 4, 3);
    for (std::size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = std::uint8_t(i * 11);
    auto sink = [](void* ctx, void* data, int n) {
        auto* out = static_cast<Bytes*>(ctx);
        out->insert(out->end(), static_cast<std::uint8_t*>(data), static_cast<std::uint8_t*>(data) + n);
    };
    Bytes bmp, jpg;
    stbi_write_bmp_to_func(sink, &bmp, img.width, img.height, img.channels, img.pixels.data());
    stbi_write_jpg_to_func(sink, &jpg, img.width, img.height, img.channels, img.pixels.data(), 90);
    put(dir / "bmp", bmp);
    put(dir / "jpg", jpg);
}

}  // namespace ae_fuzz::seeds_detail

namespace ae_fuzz {

/// Write every target's seeds under out; 0 on success, 1 (with a message) when a write fails.
inline int make_seeds(const std::filesystem::path& out) {
    using namespace seeds_detail;
    const fs::path tmp = out / "tmp";
    const char* const kinds[] = {"idx", "model_file", "csv", "image", "checkpoint", "safetensors"};
    for (const char* d : kinds) fs::create_directories(out / d);
    fs::create_directories(tmp);
    try {
        idx_seeds(out / "idx", tmp);
        model_seeds(out / "model_file", tmp);
        csv_seeds(out / "csv");
        image_seeds(out / "image", tmp);
        checkpoint_seeds(out / "checkpoint", tmp);
        safetensors_seeds(out / "safetensors", tmp);
    } catch (const std::exception& e) {
        std::cerr << e.what() << "\n";
        return 1;
    }
    fs::remove_all(tmp);
    for (const char* d : kinds)
        std::cout << "make_seeds: " << d << ": "
                  << std::distance(fs::directory_iterator(out / d), fs::directory_iterator{}) << " seeds\n";
    return 0;
}

}  // namespace ae_fuzz
