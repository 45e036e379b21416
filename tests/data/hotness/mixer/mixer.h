#pragma once
#include <string>
#include <vector>

struct Settings {
    std::vector<std::string> keys;
    int rounds = 0;
};

int load_config(const char* path, Settings& out);

class Mixer {
public:
    long mix(const std::vector<long>& in);
    long blend(const std::vector<long>& in);
    long checked(const std::vector<long>& in);
    void report(const std::vector<long>& in);
};
