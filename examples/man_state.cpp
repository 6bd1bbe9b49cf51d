// The talk's state machine, regex-driven: reads man-page-like text on stdin.
#include <iostream>
#include <memory>
#include <regex>
#include <string>

class ManProcessor;

struct ManProcessorState {
    virtual ~ManProcessorState() {}
    virtual void process(ManProcessor& context, const char* line) = 0;
};

struct IdleState : ManProcessorState { void process(ManProcessor& context, const char* line) override; };
struct ChapterState : ManProcessorState { void process(ManProcessor& context, const char* line) override; };
struct ParagraphState : ManProcessorState { void process(ManProcessor& context, const char* line) override; };
struct OptionState : ManProcessorState { void process(ManProcessor& context, const char* line) override; };

class ManProcessor {
    std::unique_ptr<ManProcessorState> state;

public:
    ManProcessor() : state(new IdleState()) {}

    void process(const char* line) {
        state->process(*this, line);
    }

    __attribute__((noinline)) void setState(ManProcessorState* next) {
        state.reset(next);
    }
};

void IdleState::process(ManProcessor& context, const char* line) {
    if (std::regex_match(line, std::regex("^[A-Z].*")))
        context.setState(new ChapterState());
}

void ChapterState::process(ManProcessor& context, const char* line) {
    if (std::regex_match(line, std::regex("^[ \t]+[-].*")))
        context.setState(new OptionState());
    else if (std::regex_match(line, std::regex("^.+$")))
        context.setState(new ParagraphState());
}

void ParagraphState::process(ManProcessor& context, const char* line) {
    if (std::regex_match(line, std::regex("^$")))
        context.setState(new ChapterState());
}

void OptionState::process(ManProcessor& context, const char* line) {
    if (std::regex_match(line, std::regex("^$")))
        context.setState(new ChapterState());
}

int main() {
    ManProcessor c;
    std::string line;
    while (std::getline(std::cin, line)) {
        c.process(line.c_str());
    }
    return 0;
}
