// Handyman's `TestHelpers` module for the C++ course's test wrappers, written for Handyman
// after what the wrappers call (namespace `hlp`):
//   remove_spaces(text)      the text without whitespace
//   to_lower(text)           lower-cases ASCII letters in place
//   normalize(text)          both: how answers of "what does this print?" tasks are compared
//   exec(command)            runs a shell command and returns what it printed on stdout
//   exec_user_solution()     runs the learner's program, which the build left at ./build/main
//   read_text_file(path)     a file's contents
//   stdout_capture_t         sends what is printed while it lives to a receiver function

module;

#include <stdio.h>
#include <unistd.h>

export module TestHelpers;

import std;

export namespace hlp {

std::string remove_spaces(std::string text)
{
    std::erase_if(text, [](char character) {
        return std::isspace(static_cast<unsigned char>(character)) != 0;
    });
    return text;
}

void to_lower(std::string& text)
{
    for (char& character : text) {
        character = static_cast<char>(std::tolower(static_cast<unsigned char>(character)));
    }
}

std::string normalize(std::string text)
{
    std::string result = remove_spaces(std::move(text));
    to_lower(result);
    return result;
}

std::string exec(const std::string& command)
{
    std::fflush(nullptr);
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) {
        throw std::runtime_error(std::format("Couldn't run {}", command));
    }
    std::string output;
    std::array<char, 4096> buffer{};
    std::size_t read = 0;
    while ((read = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
        output.append(buffer.data(), read);
    }
    ::pclose(pipe);
    return output;
}

std::string exec_user_solution() { return exec("./build/main"); }

std::string read_text_file(std::string_view path)
{
    std::ifstream stream{std::string{path}};
    std::ostringstream contents;
    contents << stream.rdbuf();
    return contents.str();
}

// While it lives, standard output goes to a file; when it ends, output goes back where it went
// before and the receiver gets what was printed.
class stdout_capture_t final {
public:
    using stdout_receiver_t = std::function<void(std::string&&)>;
    static constexpr std::string_view def_captured_out_path = "captured_stdout.txt";

    stdout_capture_t(std::string_view captured_out_path, stdout_receiver_t receiver)
        : path_{captured_out_path}, receiver_{std::move(receiver)}
    {
        std::cout.flush();
        std::fflush(nullptr);
        saved_ = ::dup(STDOUT_FILENO);
        FILE* file = std::fopen(path_.c_str(), "w");
        if (saved_ < 0 || file == nullptr) {
            throw std::runtime_error(std::format("Can't capture the output into {}", path_));
        }
        ::dup2(::fileno(file), STDOUT_FILENO);
        std::fclose(file);
    }

    explicit stdout_capture_t(stdout_receiver_t receiver)
        : stdout_capture_t(def_captured_out_path, std::move(receiver))
    {
    }

    stdout_capture_t(const stdout_capture_t&) = delete;
    stdout_capture_t& operator=(const stdout_capture_t&) = delete;

    ~stdout_capture_t()
    {
        std::cout.flush();
        std::fflush(nullptr);
        ::dup2(saved_, STDOUT_FILENO);
        ::close(saved_);
        if (receiver_) {
            receiver_(read_text_file(path_));
        }
    }

private:
    std::string path_;
    stdout_receiver_t receiver_;
    int saved_ = -1;
};

}  // namespace hlp
