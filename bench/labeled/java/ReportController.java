package com.example.reports;

import java.net.Socket;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.SSLSession;
import javax.net.ssl.X509TrustManager;
import javax.persistence.EntityManager;
import org.bson.Document;
import org.springframework.data.mongodb.core.MongoTemplate;
import org.springframework.data.mongodb.core.query.BasicQuery;
import org.springframework.expression.ExpressionParser;
import org.springframework.expression.spel.standard.SpelExpressionParser;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.client.RestTemplate;

@RestController
public class ReportController {
    private final JdbcTemplate jdbc;
    private final EntityManager em;
    private final MongoTemplate mongo;
    private final RestTemplate rest = new RestTemplate();

    public ReportController(JdbcTemplate jdbc, EntityManager em, MongoTemplate mongo) {
        this.jdbc = jdbc;
        this.em = em;
        this.mongo = mongo;
    }

    @GetMapping("/reports")
    public List<Map<String, Object>> reports(@RequestParam String region) {
        // ruleid: sql-injection through JdbcTemplate
        return jdbc.queryForList("SELECT * FROM reports WHERE region = '" + region + "'");
    }

    @GetMapping("/reports/safe")
    public List<Map<String, Object>> reportsSafe(@RequestParam String region) {
        // ok: bound parameter
        return jdbc.queryForList("SELECT * FROM reports WHERE region = ?", region);
    }

    @GetMapping("/reports/{owner}")
    public List<?> byOwner(@PathVariable String owner) {
        // ruleid: sql-injection through JPA
        return em.createQuery("SELECT r FROM Report r WHERE r.owner = '" + owner + "'").getResultList();
    }

    @GetMapping("/reports/native")
    public List<?> nativeQuery(@RequestParam String sort) {
        String sql = String.format("SELECT * FROM reports ORDER BY %s", sort);
        // ruleid: sql-injection through a native query
        return em.createNativeQuery(sql).getResultList();
    }

    @GetMapping("/calc")
    public Object calc(@RequestParam String expr) {
        ExpressionParser parser = new SpelExpressionParser();
        // ruleid: code-injection (SpEL)
        return parser.parseExpression(expr).getValue();
    }

    @GetMapping("/docs")
    public List<Document> docs(@RequestParam String filter) {
        // ruleid: nosql-injection
        return mongo.find(new BasicQuery(filter), Document.class, "docs");
    }

    @GetMapping("/preview")
    public String preview(@RequestParam String url) {
        // ruleid: ssrf
        return rest.getForObject(url, String.class);
    }

    @GetMapping("/echo")
    public String echo(@RequestParam String msg) {
        // ruleid: xss, HTML from a @RestController returning a String
        return "<p>" + msg + "</p>";
    }

    static Socket connect() throws java.io.IOException {
        // ruleid: cleartext-transport
        return new Socket("reports.example.com", 9000);
    }

    static final HostnameVerifier ANY_HOST = new HostnameVerifier() {
        @Override
        public boolean verify(String hostname, SSLSession session) {
            // ruleid: hostname verification off
            return true;
        }
    };

    static final X509TrustManager TRUST_ALL = new X509TrustManager() {
        @Override
        // ruleid: certificate checks off
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    };
}
