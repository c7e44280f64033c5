package handlers

import (
	"archive/zip"
	"crypto/md5"
	"crypto/tls"
	"database/sql"
	"fmt"
	"html/template"
	"io"
	"math/rand"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"
)

var db *sql.DB
var gdb *gorm.DB

func GetUser(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	// ruleid: sql-injection
	row := db.QueryRow("SELECT name FROM users WHERE id = '" + id + "'")
	var name string
	row.Scan(&name)
	fmt.Fprint(w, name)
}

func ListOrders(w http.ResponseWriter, r *http.Request) {
	status := r.FormValue("status")
	query := fmt.Sprintf("SELECT id FROM orders WHERE status = '%s'", status)
	// ruleid: sql-injection with a context, built earlier
	rows, err := db.QueryContext(r.Context(), query)
	if err != nil {
		return
	}
	defer rows.Close()
}

func ListOrdersSafe(w http.ResponseWriter, r *http.Request) {
	status := r.FormValue("status")
	// ok: placeholder
	rows, err := db.QueryContext(r.Context(), "SELECT id FROM orders WHERE status = $1", status)
	if err != nil {
		return
	}
	defer rows.Close()
}

func FindProducts(c *gin.Context) {
	var products []Product
	name := c.Query("name")
	// ruleid: sql-injection through GORM
	gdb.Where("name LIKE '%" + name + "%'").Find(&products)
	c.JSON(http.StatusOK, products)
}

func FindProductsSafe(c *gin.Context) {
	var products []Product
	// ok: GORM placeholder
	gdb.Where("name LIKE ?", "%"+c.Query("name")+"%").Find(&products)
	c.JSON(http.StatusOK, products)
}

func RawReport(c *gin.Context) {
	var total int
	// ruleid: sql-injection through GORM Raw
	gdb.Raw(fmt.Sprintf("SELECT sum(amount) FROM sales WHERE region = '%s'", c.Param("region"))).Scan(&total)
	c.JSON(http.StatusOK, total)
}

func Ping(w http.ResponseWriter, r *http.Request) {
	host := r.URL.Query().Get("host")
	// ruleid: command-injection
	out, _ := exec.Command("sh", "-c", "ping -c 1 "+host).CombinedOutput()
	w.Write(out)
}

func PingSafe(w http.ResponseWriter, r *http.Request) {
	host := r.URL.Query().Get("host")
	// ok: no shell, the value is one argument
	out, _ := exec.Command("ping", "-c", "1", host).CombinedOutput()
	w.Write(out)
}

func Hello(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	// ruleid: xss
	fmt.Fprintf(w, "<h1>Hello %s</h1>", name)
}

func Bio(w http.ResponseWriter, r *http.Request) {
	tmpl := template.Must(template.New("bio").Parse("<div>{{.}}</div>"))
	// ruleid: xss, the escaping is switched off
	tmpl.Execute(w, template.HTML(r.FormValue("bio")))
}

func BioSafe(w http.ResponseWriter, r *http.Request) {
	tmpl := template.Must(template.New("bio").Parse("<div>{{.}}</div>"))
	// ok: html/template escapes a string
	tmpl.Execute(w, r.FormValue("bio"))
}

func Fetch(w http.ResponseWriter, r *http.Request) {
	target := r.URL.Query().Get("url")
	// ruleid: ssrf
	resp, err := http.Get(target)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	io.Copy(w, resp.Body)
}

func Redirect(w http.ResponseWriter, r *http.Request) {
	// ruleid: open-redirect
	http.Redirect(w, r, r.URL.Query().Get("next"), http.StatusFound)
}

func Download(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("file")
	// ruleid: path-traversal
	data, _ := os.ReadFile(filepath.Join("/srv/files", name))
	w.Write(data)
}

func Serve(w http.ResponseWriter, r *http.Request) {
	// ruleid: path-traversal
	http.ServeFile(w, r, "/srv/public/"+r.URL.Query().Get("path"))
}

func Unzip(src, dest string) error {
	archive, err := zip.OpenReader(src)
	if err != nil {
		return err
	}
	defer archive.Close()
	for _, f := range archive.File {
		// ruleid: zip slip
		target := filepath.Join(dest, f.Name)
		out, err := os.Create(target)
		if err != nil {
			return err
		}
		in, _ := f.Open()
		io.Copy(out, in)
		out.Close()
	}
	return nil
}

func UnzipSafe(src, dest string) error {
	archive, err := zip.OpenReader(src)
	if err != nil {
		return err
	}
	defer archive.Close()
	for _, f := range archive.File {
		// ok: checked to stay under dest
		target := filepath.Join(dest, f.Name)
		if !strings.HasPrefix(filepath.Clean(target), filepath.Clean(dest)+string(os.PathSeparator)) {
			return fmt.Errorf("illegal path %s", f.Name)
		}
		out, err := os.Create(target)
		if err != nil {
			return err
		}
		in, _ := f.Open()
		io.Copy(out, in)
		out.Close()
	}
	return nil
}

const letters = "abcdefghijklmnopqrstuvwxyz0123456789"

func NewSessionToken() string {
	b := make([]byte, 32)
	for i := range b {
		// ruleid: weak randomness for a session token
		b[i] = letters[rand.Intn(len(letters))]
	}
	return string(b)
}

func Client() *http.Client {
	return &http.Client{Transport: &http.Transport{
		// ruleid: certificate checks off
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
	}}
}

func Fingerprint(data []byte) string {
	// ruleid: weak hash
	return fmt.Sprintf("%x", md5.Sum(data))
}

func SetSession(w http.ResponseWriter, token string) {
	// ruleid: insecure cookie
	http.SetCookie(w, &http.Cookie{Name: "session", Value: token})
}

func SetSessionSafe(w http.ResponseWriter, token string) {
	// ok: Secure and HttpOnly
	http.SetCookie(w, &http.Cookie{Name: "session", Value: token, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

type Product struct{ Name string }
