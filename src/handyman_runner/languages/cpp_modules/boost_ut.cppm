// Handyman's stand-in for the `boost.ut` module that the C++ course's test wrappers import.
//
// Written for Handyman (no code of boost.ut in it): it offers what the course's wrappers and
// practice tests use, with the same meaning --
//   "name"_test = [] { ... };          runs the test at once, a fatal failure ends it
//   expect(condition) << message;      an assertion (a bool, or a comparison built below)
//   expect(...) << message << fatal;   ends the current test when the assertion fails
//   90.0_d == value                    equal within the literal's precision (here 0.1)
//   throws<E>(f), throws(f), nothrow(f)
// -- and it exports `std`, as boost.ut's module does. The program's exit status is 1 when an
// assertion failed or when the program exits while a test is still running (a solution
// calling exit() in the middle of the checks), 0 otherwise.

export module boost.ut;

export import std;

namespace handyman_ut {

struct fatal_failure {};

class registry {
public:
    static registry& instance()
    {
        static registry* const shared = new registry();
        return *shared;
    }

    void begin(std::string_view name)
    {
        ++tests_;
        current_ = std::string{name};
        running_ = true;
        current_failed_ = false;
    }

    void end()
    {
        if (current_failed_) {
            ++failed_tests_;
        }
        running_ = false;
    }

    void assertion(bool passed)
    {
        ++asserts_;
        if (!passed) {
            ++failed_asserts_;
            current_failed_ = true;
            any_failed_ = true;
        }
    }

    void unexpected_exception(std::string_view what)
    {
        std::println("Unexpected exception in test \"{}\": {}", current_, what);
        current_failed_ = true;
        any_failed_ = true;
    }

    const std::string& current() const { return current_; }

    bool running() const { return running_; }

private:
    registry()
    {
        std::atexit(&registry::at_exit);
        std::at_quick_exit(&registry::at_exit);
    }

    static void at_exit()
    {
        registry& self = instance();
        std::cout.flush();
        std::fflush(nullptr);
        if (self.running_) {
            std::println(
                "\nThe program exited while test \"{}\" was running, before its checks "
                "finished.",
                self.current_);
            std::fflush(nullptr);
            std::_Exit(1);
        }
        if (self.any_failed_) {
            std::println("\n{:=<79}", "");
            std::println("tests:   {} | {} failed", self.tests_, self.failed_tests_);
            std::println(
                "asserts: {} | {} passed | {} failed",
                self.asserts_,
                self.asserts_ - self.failed_asserts_,
                self.failed_asserts_);
            std::fflush(nullptr);
            std::_Exit(1);
        }
        std::println("All tests passed ({} asserts in {} tests)", self.asserts_, self.tests_);
        std::fflush(nullptr);
    }

    std::string current_;
    bool running_ = false;
    bool current_failed_ = false;
    bool any_failed_ = false;
    std::size_t tests_ = 0;
    std::size_t failed_tests_ = 0;
    std::size_t asserts_ = 0;
    std::size_t failed_asserts_ = 0;
};

inline std::string_view file_name(std::string_view path)
{
    const auto slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

template <class T>
concept streamable = requires(std::ostream& stream, const T& value) { stream << value; };

}  // namespace handyman_ut

export namespace boost::ut {

// Only what the wrappers name is in boost::ut itself, so that `using namespace boost::ut;`
// brings no name a learner's code could clash with that boost.ut would not bring too.
namespace detail {

struct fatal {};

// The outcome of a check that knows how to show itself: "90.0 == 89.5", "throws".
struct check {
    bool passed;
    std::string text;
};

template <class T>
struct approximate {
    T value;
    T epsilon;
};

template <class T, class U>
    requires std::is_arithmetic_v<U>
check operator==(const approximate<T>& lhs, const U& rhs)
{
    const bool equal = std::abs(lhs.value - static_cast<T>(rhs)) < lhs.epsilon;
    return {equal, std::format("{} == {}", lhs.value, rhs)};
}

template <class T, class U>
    requires std::is_arithmetic_v<U>
check operator==(const U& lhs, const approximate<T>& rhs)
{
    const bool equal = std::abs(static_cast<T>(lhs) - rhs.value) < rhs.epsilon;
    return {equal, std::format("{} == {}", lhs, rhs.value)};
}

template <class T>
check operator==(const approximate<T>& lhs, const approximate<T>& rhs)
{
    const bool equal =
        std::abs(lhs.value - rhs.value) < std::min(lhs.epsilon, rhs.epsilon);
    return {equal, std::format("{} == {}", lhs.value, rhs.value)};
}

template <class T, class U>
    requires std::is_arithmetic_v<U>
check operator!=(const approximate<T>& lhs, const U& rhs)
{
    const check equal = lhs == rhs;
    return {!equal.passed, std::format("{} != {}", lhs.value, rhs)};
}

template <class T, class U>
    requires std::is_arithmetic_v<U>
check operator!=(const U& lhs, const approximate<T>& rhs)
{
    const check equal = lhs == rhs;
    return {!equal.passed, std::format("{} != {}", lhs, rhs.value)};
}

template <class T, class U>
    requires std::is_arithmetic_v<U>
check operator<(const approximate<T>& lhs, const U& rhs)
{
    return {lhs.value < rhs, std::format("{} < {}", lhs.value, rhs)};
}

template <class T, class U>
    requires std::is_arithmetic_v<U>
check operator<(const U& lhs, const approximate<T>& rhs)
{
    return {lhs < rhs.value, std::format("{} < {}", lhs, rhs.value)};
}

template <class T, class U>
    requires std::is_arithmetic_v<U>
check operator>(const approximate<T>& lhs, const U& rhs)
{
    return {lhs.value > rhs, std::format("{} > {}", lhs.value, rhs)};
}

template <class T, class U>
    requires std::is_arithmetic_v<U>
check operator>(const U& lhs, const approximate<T>& rhs)
{
    return {lhs > rhs.value, std::format("{} > {}", lhs, rhs.value)};
}

}  // namespace detail

inline constexpr detail::fatal fatal{};

// A floating-point literal whose precision is the number of digits written after its point:
// 90.0_d equals anything within 0.1 of 90, 0.25_d anything within 0.01 of 0.25.
template <char... Digits>
constexpr detail::approximate<double> operator""_d()
{
    constexpr char text[] = {Digits..., '\0'};
    double value = 0.0;
    double scale = 1.0;
    double epsilon = 1.0;
    bool fraction = false;
    for (const char digit : std::string_view{text}) {
        if (digit == '.') {
            fraction = true;
        } else if (digit >= '0' && digit <= '9') {
            if (fraction) {
                scale /= 10.0;
                epsilon /= 10.0;
                value += (digit - '0') * scale;
            } else {
                value = value * 10.0 + (digit - '0');
            }
        }
    }
    return {value, epsilon};
}

template <class Exception = void, class Callable>
detail::check throws(Callable&& callable)
{
    try {
        std::forward<Callable>(callable)();
    } catch (const std::conditional_t<std::is_void_v<Exception>, int, Exception>&) {
        return {true, "throws"};
    } catch (...) {
        return {std::is_void_v<Exception>, "throws a different exception"};
    }
    return {false, "does not throw"};
}

template <class Callable>
detail::check nothrow(Callable&& callable)
{
    try {
        std::forward<Callable>(callable)();
    } catch (...) {
        return {false, "throws"};
    }
    return {true, "nothrow"};
}

namespace detail {

// One assertion: reported when it failed, once its message is complete (at the end of the
// statement that made it); a fatal one then ends the test it is in.
class expectation {
public:
    expectation(bool passed, std::string text, std::source_location where)
        : passed_{passed}, text_{std::move(text)}, where_{where}
    {
        handyman_ut::registry::instance().assertion(passed_);
    }

    expectation(const expectation&) = delete;
    expectation& operator=(const expectation&) = delete;

    ~expectation() noexcept(false)
    {
        if (passed_) {
            return;
        }
        std::println(
            "  {}:{}:FAILED [{}] {}",
            handyman_ut::file_name(where_.file_name()),
            where_.line(),
            text_,
            message_.str());
        if (fatal_ && std::uncaught_exceptions() == 0) {
            throw handyman_ut::fatal_failure{};
        }
    }

    expectation& operator<<(const fatal&)
    {
        fatal_ = true;
        return *this;
    }

    template <class T>
        requires handyman_ut::streamable<T>
    expectation& operator<<(const T& part)
    {
        if (!passed_) {
            message_ << part;
        }
        return *this;
    }

private:
    bool passed_;
    bool fatal_ = false;
    std::string text_;
    std::source_location where_;
    std::ostringstream message_;
};

}  // namespace detail

inline detail::expectation expect(bool condition,
                          std::source_location where = std::source_location::current())
{
    return detail::expectation{condition, condition ? "true" : "false", where};
}

inline detail::expectation expect(const detail::check& condition,
                          std::source_location where = std::source_location::current())
{
    return detail::expectation{condition.passed, condition.text, where};
}

struct test {
    std::string_view name;

    template <class Body>
    void operator=(Body body) const
    {
        auto& tests = handyman_ut::registry::instance();
        tests.begin(name);
        try {
            body();
        } catch (const handyman_ut::fatal_failure&) {
        } catch (const std::exception& error) {
            tests.unexpected_exception(error.what());
        } catch (...) {
            tests.unexpected_exception("an exception of unknown type");
        }
        tests.end();
    }
};

inline test operator""_test(const char* name, std::size_t size)
{
    return test{std::string_view{name, size}};
}

}  // namespace boost::ut
