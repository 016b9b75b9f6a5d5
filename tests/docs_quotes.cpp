// Checks that every ```cpp (or ```c++) block of README.md and docs/*.md is quoted from a compiled
// file: its lines must appear, as a contiguous run, in one of docs/snippets/*.cpp or examples/*.cpp
// (which ctest and the examples build). Trailing whitespace and a common leading indentation are
// ignored, so a block may quote an indented function body. Other fences (sh, cmake, text, ...)
// are not checked.
//
// Usage: docs_quotes <project source dir>. Prints every block that is not found and exits 1.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using Lines = std::vector<std::string>;

namespace {

Lines read_lines(const fs::path& path) {
    std::ifstream in(path);
    Lines lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

std::string rstrip(const std::string& s) {
    const auto end = s.find_last_not_of(" \t\r");
    return end == std::string::npos ? std::string() : s.substr(0, end + 1);
}

std::size_t indent_of(const std::string& s) { return s.find_first_not_of(" \t"); }

// Trailing whitespace off every line, the smallest indentation of the non-blank lines off all.
Lines normalise(Lines::const_iterator first, Lines::const_iterator last) {
    Lines out;
    std::size_t common = std::string::npos;
    for (auto it = first; it != last; ++it) {
        out.push_back(rstrip(*it));
        if (!out.back().empty()) common = std::min(common, indent_of(out.back()));
    }
    for (auto& line : out)
        if (!line.empty()) line.erase(0, common);
    return out;
}

struct Source {
    fs::path path;
    Lines lines;  // trailing whitespace already off
};

struct Block {
    fs::path doc;
    std::size_t line = 0;  // 1-based line of the opening fence
    Lines lines;
};

bool opens_cpp_block(const std::string& line) {
    const auto i = indent_of(line);
    if (i == std::string::npos) return false;
    const std::string fence = rstrip(line.substr(i));
    return fence == "```cpp" || fence == "```c++" || fence == "```C++";
}

bool is_fence(const std::string& line) {
    const auto i = indent_of(line);
    return i != std::string::npos && line.compare(i, 3, "```") == 0;
}

bool closes_block(const std::string& line) {
    return is_fence(line) && rstrip(line).substr(indent_of(line)) == "```";
}

// Every ```cpp block of one Markdown file; unclosed blocks are reported and returned as failures.
std::vector<Block> cpp_blocks(const fs::path& doc, int& errors) {
    const Lines lines = read_lines(doc);
    std::vector<Block> blocks;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (!is_fence(lines[i])) continue;
        const bool cpp = opens_cpp_block(lines[i]);
        std::size_t end = i + 1;
        while (end < lines.size() && !closes_block(lines[end])) ++end;
        if (end == lines.size()) {
            std::printf("%s:%zu: unclosed code fence\n", doc.string().c_str(), i + 1);
            ++errors;
            break;
        }
        if (cpp) blocks.push_back({doc, i + 1, normalise(lines.begin() + long(i) + 1, lines.begin() + long(end))});
        i = end;
    }
    return blocks;
}

bool quoted_in(const Lines& block, const Source& source) {
    if (block.size() > source.lines.size()) return false;
    for (std::size_t start = 0; start + block.size() <= source.lines.size(); ++start) {
        const auto first = source.lines.begin() + long(start);
        // Cheap rejection before normalising the window: the first lines must match up to indentation.
        const std::string& a = block.front();
        const std::string& b = *first;
        if (b.size() < a.size() || b.compare(b.size() - a.size(), a.size(), a) != 0) continue;
        if (normalise(first, first + long(block.size())) == block) return true;
    }
    return false;
}

std::vector<fs::path> files_in(const fs::path& dir, const std::string& extension) {
    std::vector<fs::path> files;
    if (!fs::is_directory(dir)) return files;
    for (const auto& entry : fs::directory_iterator(dir))
        if (entry.is_regular_file() && entry.path().extension() == extension) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    return files;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s <project source dir>\n", argv[0]);
        return 2;
    }
    const fs::path root = argv[1];

    std::vector<Source> sources;
    for (const char* dir : {"docs/snippets", "examples"})
        for (const auto& path : files_in(root / dir, ".cpp")) {
            Source s{path, {}};
            for (const auto& line : read_lines(path)) s.lines.push_back(rstrip(line));
            sources.push_back(std::move(s));
        }
    std::vector<fs::path> docs = files_in(root / "docs", ".md");
    docs.insert(docs.begin(), root / "README.md");
    if (sources.empty() || !fs::exists(docs.front())) {
        std::fprintf(stderr, "no sources or no README.md under %s\n", root.string().c_str());
        return 2;
    }

    int errors = 0, checked = 0;
    for (const auto& doc : docs) {
        for (const Block& block : cpp_blocks(doc, errors)) {
            ++checked;
            const std::string where = fs::relative(block.doc, root).string();
            const bool blank = std::all_of(block.lines.begin(), block.lines.end(),
                                           [](const std::string& l) { return l.empty(); });
            if (blank) {
                std::printf("%s:%zu: empty ```cpp block\n", where.c_str(), block.line);
                ++errors;
                continue;
            }
            // Leading and trailing blank lines of a block need not be in the source.
            Lines body = block.lines;
            while (body.front().empty()) body.erase(body.begin());
            while (body.back().empty()) body.pop_back();
            const bool found = std::any_of(sources.begin(), sources.end(),
                                           [&](const Source& s) { return quoted_in(body, s); });
            if (!found) {
                std::printf("%s:%zu: not quoted from any compiled file: %s\n", where.c_str(), block.line,
                            body.front().c_str());
                ++errors;
            }
        }
    }
    std::printf("%d ```cpp block(s) checked in %zu Markdown file(s) against %zu compiled file(s): %d problem(s)\n",
                checked, docs.size(), sources.size(), errors);
    return errors == 0 ? 0 : 1;
}
