// iostream, std::map and exceptions thrown through several frames (unwinding asks
// the linker for _dl_find_object).
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
static int depth3(int x) { if (x > 2) throw std::runtime_error("too deep: " + std::to_string(x)); return x; }
static int depth2(int x) { return depth3(x + 1) * 2; }
static int depth1(int x) { return depth2(x + 1) + 1; }
int main() {
  std::map<std::string, int> m{{"one", 1}, {"two", 2}, {"three", 3}};
  for (auto &kv : m) std::cout << kv.first << "=" << kv.second << "\n";
  try { depth1(1); } catch (const std::exception &e) { std::cout << "caught: " << e.what() << "\n"; }
  try { throw 42; } catch (int v) { std::cout << "int " << v << "\n"; }
  return 3;
}
