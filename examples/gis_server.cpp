// The talk's gis_server: parses a JSON path request ({"path": [[lat, lon], ...]}),
// projects every point and renders the path into an in-memory "PNG" buffer, with
// real work per point. Usage: gis_server [POINTS]  (one request; POINTS points)
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

struct point {
    double x, y;
};

struct request {
    std::string body;
};

struct response {
    int status;
    std::string content_type;
    std::string body;
};

static const int ZOOM = 12;

point spat2xy(double lat, double lon, int zoom) {
    double n = std::pow(2.0, zoom);
    double x = (lon + 180.0) / 360.0 * n;
    double r = lat * M_PI / 180.0;
    double y = (1.0 - std::log(std::tan(r) + 1.0 / std::cos(r)) / M_PI) / 2.0 * n;
    return {x, y};
}

// A tiny parser for {"path": [[a, b], [c, d], ...]}: returns false on malformed input.
bool parse_path(const std::string& json, std::vector<std::pair<double, double>>& out) {
    size_t p = json.find('[');
    if (p == std::string::npos) return false;
    p++;
    while (true) {
        size_t open = json.find('[', p);
        if (open == std::string::npos) break;
        char* end = nullptr;
        double lat = std::strtod(json.c_str() + open + 1, &end);
        if (*end != ',') return false;
        double lon = std::strtod(end + 1, &end);
        if (*end != ']') return false;
        out.emplace_back(lat, lon);
        p = (end - json.c_str()) + 1;
    }
    return true;
}

void cairo_render_path(const std::vector<point>& points, std::ostringstream& bytes) {
    unsigned long crc = 0;
    for (const point& pt : points) {
        for (int k = 0; k < 2000; k++) {
            crc = crc * 31 + (unsigned long) (pt.x * k) + (unsigned long) (pt.y + k);
        }
        bytes << (char) (crc & 0x7f);
    }
}

response process_path_request(const request& req) {
    std::vector<std::pair<double, double>> arr;
    if (!parse_path(req.body, arr)) {
        return {400, "application/javascript", "{error:'invalid data'}"};
    }

    std::vector<point> points;
    for (auto& el : arr) {
        double lat = el.first, lon = el.second;
        points.emplace_back(spat2xy(lat, lon, ZOOM));
    }

    std::ostringstream bytes;
    cairo_render_path(points, bytes);
    return {200, "image/png", bytes.str()};
}

int main(int argc, char** argv) {
    int n = argc > 1 ? std::atoi(argv[1]) : 100;
    std::string body = "{\"path\": [";
    for (int i = 0; i < n; i++) {
        body += (i ? ", [" : "[") + std::to_string(52.0 + i * 0.001) + ", " + std::to_string(21.0 + i * 0.001) + "]";
    }
    body += "]}";
    response r = process_path_request({body});
    std::printf("%d %s %zu\n", r.status, r.content_type.c_str(), r.body.size());
    return r.status == 200 ? 0 : 1;
}
