// C++ threads: std::thread with a mutex/condition_variable queue, thread_local with a
// destructor, an exception thrown in std::async and caught in main, atomics from 4 threads.
#include <atomic>
#include <condition_variable>
#include <future>
#include <iostream>
#include <mutex>
#include <queue>
#include <stdexcept>
#include <thread>
#include <vector>
struct Noisy { int id; ~Noisy() { std::cout << "tls dtor " << id << "\n"; } };
thread_local Noisy tl{0};
int main() {
  std::mutex m; std::condition_variable cv; std::queue<int> q; bool done = false;
  std::thread prod([&] { for (int i = 0; i < 5; i++) { std::lock_guard<std::mutex> g(m); q.push(i); cv.notify_one(); } std::lock_guard<std::mutex> g(m); done = true; cv.notify_one(); });
  int sum = 0;
  std::thread cons([&] { tl.id = 7; for (;;) { std::unique_lock<std::mutex> l(m); cv.wait(l, [&] { return !q.empty() || done; }); while (!q.empty()) { sum += q.front(); q.pop(); } if (done) break; } });
  prod.join(); cons.join();
  std::cout << "sum " << sum << "\n";
  auto f = std::async(std::launch::async, [] { throw std::runtime_error("from async"); return 1; });
  try { f.get(); } catch (const std::exception &e) { std::cout << "caught " << e.what() << "\n"; }
  std::atomic<int> c{0}; std::vector<std::thread> ts;
  for (int i = 0; i < 4; i++) ts.emplace_back([&] { for (int j = 0; j < 10000; j++) c++; });
  for (auto &t : ts) t.join();
  std::cout << "atomic " << c << "\n";
  return 0; }
