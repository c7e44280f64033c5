package com.example.web;

import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.PrintWriter;
import java.net.URL;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.crypto.Cipher;
import javax.naming.directory.DirContext;
import javax.naming.directory.SearchControls;
import javax.servlet.http.Cookie;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import javax.sql.DataSource;
import javax.xml.xpath.XPath;
import javax.xml.xpath.XPathFactory;

public class AccountServlet extends HttpServlet {
    private DataSource dataSource;
    private DirContext ldap;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String id = request.getParameter("id");
        try (Connection conn = dataSource.getConnection()) {
            Statement st = conn.createStatement();
            // ruleid: sql-injection
            ResultSet rs = st.executeQuery("SELECT * FROM accounts WHERE id = '" + id + "'");
            rs.next();
        } catch (SQLException e) {
            throw new IOException(e);
        }
    }

    protected void find(HttpServletRequest request, HttpServletResponse response) throws SQLException {
        String owner = request.getParameter("owner");
        String sql = "SELECT * FROM accounts WHERE owner = '" + owner + "'";
        try (Connection conn = dataSource.getConnection()) {
            // ruleid: sql-injection, built on an earlier line
            PreparedStatement ps = conn.prepareStatement(sql);
            ps.executeQuery();
        }
    }

    protected void findSafe(HttpServletRequest request, HttpServletResponse response) throws SQLException {
        String owner = request.getParameter("owner");
        try (Connection conn = dataSource.getConnection()) {
            // ok: bound parameter
            PreparedStatement ps = conn.prepareStatement("SELECT * FROM accounts WHERE owner = ?");
            ps.setString(1, owner);
            ps.executeQuery();
        }
    }

    protected void greet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String name = request.getParameter("name");
        PrintWriter out = response.getWriter();
        // ruleid: xss
        out.println("<h1>Hello " + name + "</h1>");
    }

    protected void greetConstant(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String param = request.getParameter("name");
        List<String> values = new ArrayList<>();
        values.add("safe");
        values.add(param);
        values.add("moresafe");
        values.remove(0);
        String bar = values.get(1);
        // ok: the element read is the constant one
        response.getWriter().println("<h1>Hello " + bar + "</h1>");
    }

    protected void run(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String dir = request.getParameter("dir");
        // ruleid: command-injection
        Process p = Runtime.getRuntime().exec("ls -l " + dir);
        p.getInputStream().transferTo(response.getOutputStream());
    }

    protected void runBuilder(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String dir = request.getParameter("dir");
        // ruleid: command-injection through a shell
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", "ls -l " + dir);
        pb.start();
    }

    protected void file(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String name = request.getParameter("file");
        // ruleid: path-traversal
        FileInputStream in = new FileInputStream(new File("/srv/reports", name));
        in.transferTo(response.getOutputStream());
    }

    protected void next(HttpServletRequest request, HttpServletResponse response) throws IOException {
        // ruleid: open-redirect
        response.sendRedirect(request.getParameter("next"));
    }

    protected void lang(HttpServletRequest request, HttpServletResponse response) {
        // ruleid: header-injection
        response.setHeader("Content-Language", request.getParameter("lang"));
    }

    protected void login(HttpServletRequest request, HttpServletResponse response) {
        String user = request.getParameter("user");
        // ruleid: trust-boundary
        request.getSession().setAttribute("user", user);
    }

    protected void people(HttpServletRequest request, HttpServletResponse response) throws Exception {
        String uid = request.getParameter("uid");
        String filter = "(&(objectClass=person)(uid=" + uid + "))";
        // ruleid: ldap-injection
        ldap.search("ou=people,dc=example,dc=com", filter, new SearchControls());
    }

    protected void employee(HttpServletRequest request, HttpServletResponse response) throws Exception {
        String emp = request.getParameter("id");
        XPath xpath = XPathFactory.newInstance().newXPath();
        // ruleid: xpath-injection
        String found = xpath.evaluate("/employees/employee[@id='" + emp + "']/name", new org.xml.sax.InputSource("employees.xml"));
        response.getWriter().print(found.length());
    }

    protected void restore(HttpServletRequest request, HttpServletResponse response) throws Exception {
        ObjectInputStream in = new ObjectInputStream(request.getInputStream());
        // ruleid: insecure-deserialization
        Object state = in.readObject();
        response.getWriter().print(state.hashCode());
    }

    protected void fetch(HttpServletRequest request, HttpServletResponse response) throws IOException {
        URL url = new URL(request.getParameter("url"));
        // ruleid: ssrf
        url.openConnection().getInputStream().transferTo(response.getOutputStream());
    }

    protected void remember(HttpServletRequest request, HttpServletResponse response) {
        // ruleid: weak randomness for a cookie value
        String token = Long.toString(new Random().nextLong());
        Cookie cookie = new Cookie("remember", token);
        cookie.setSecure(true);
        cookie.setHttpOnly(true);
        response.addCookie(cookie);
    }

    protected void plainCookie(HttpServletResponse response, String token) {
        // ruleid: insecure cookie
        Cookie cookie = new Cookie("session", token);
        response.addCookie(cookie);
    }

    static byte[] digest(String password) throws NoSuchAlgorithmException {
        // ruleid: weak hash
        return MessageDigest.getInstance("MD5").digest(password.getBytes());
    }

    static Cipher cipher() throws Exception {
        // ruleid: weak cipher (ECB by default)
        return Cipher.getInstance("AES");
    }

    static Cipher cipherSafe() throws Exception {
        // ok: authenticated mode
        return Cipher.getInstance("AES/GCM/NoPadding");
    }
}
