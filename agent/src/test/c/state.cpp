// The talk's state machine: ManProcessor reads lines (man page text) and changes
// state; setState is where a tracer asks "who called me?".
#include <cctype>
#include <iostream>
#include <memory>
#include <string>

class ManProcessor;

struct ManProcessorState {
    virtual ~ManProcessorState() {}
    virtual void process(ManProcessor& context, const char* line) = 0;
};

struct IdleState : ManProcessorState {
    void process(ManProcessor& context, const char* line) override;
};

struct ChapterState : ManProcessorState {
    void process(ManProcessor& context, const char* line) override;
};

struct ParagraphState : ManProcessorState {
    void process(ManProcessor& context, const char* line) override;
};

struct OptionState : ManProcessorState {
    void process(ManProcessor& context, const char* line) override;
};

class ManProcessor {
    std::unique_ptr<ManProcessorState> state;

public:
    ManProcessor() : state(new IdleState()) {}

    __attribute__((noinline)) void process(const char* line) {
        state->process(*this, line);
    }

    __attribute__((noinline)) void setState(ManProcessorState* next) {
        state.reset(next);
    }
};

static bool blank(const char* line) {
    return line[0] == '\0';
}

void IdleState::process(ManProcessor& context, const char* line) {
    if (!blank(line) && !std::isspace(static_cast<unsigned char>(line[0])))
        context.setState(new ChapterState());
}

void ChapterState::process(ManProcessor& context, const char* line) {
    const char* p = line;
    while (*p == ' ' || *p == '\t') p++;
    if (p != line && *p == '-')
        context.setState(new OptionState());
    else if (!blank(line))
        context.setState(new ParagraphState());
}

void ParagraphState::process(ManProcessor& context, const char* line) {
    if (blank(line))
        context.setState(new ChapterState());
}

void OptionState::process(ManProcessor& context, const char* line) {
    if (blank(line))
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
